import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { PatientsService, PatientView } from './service.ts';

export function createResolvers(patients: PatientsService): GraphQLResolverMap<RequestContext> {
  return {
    Query: {
      patients: (_root, args, { caller }) => patients.list(caller, args),
      patient: (_root, { id }, { caller }) => patients.byId(caller, id),
    },
    Mutation: {
      registerPatient: (_root, { input }, { caller }) => patients.register(caller, input),
    },
    Patient: {
      __resolveReference: ({ id }: { id: string }, { caller }: RequestContext) => patients.byId(caller, id),
      nationalIds: (patient: PatientView, _args: unknown, { caller }: RequestContext) =>
        patients.nationalIds(caller, patient.id),
    },
  };
}
