import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { AuditService } from './service.ts';

export function createResolvers(audit: AuditService): GraphQLResolverMap<RequestContext> {
  return {
    Query: {
      auditLog: (_root, args, { caller }) => audit.search(caller, args),
      myRecordAccessLog: (_root, args, { caller }) => audit.recordAccessLog(caller, args),
    },
    PatientDataExport: {
      __resolveReference: (reference: { patientId: string }) => reference,
      accessLog: ({ patientId }: { patientId: string }, _args: unknown, { caller }: RequestContext) =>
        audit.exportFor(caller, patientId),
    },
  };
}
