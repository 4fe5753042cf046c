import type { GraphQLResolverMap } from '@apollo/subgraph';
import { BatchLoader, perRequest } from '@cabinet/platform/batch-loader';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { PrescriptionsService, PrescriptionView } from './service.ts';

/** Thin: arguments in, the service's views out. */
export function createResolvers(prescriptions: PrescriptionsService): GraphQLResolverMap<RequestContext> {
  // One loader per request: the prescriptions of every consultation a request resolves come from one query.
  const ofConsultation = perRequest(
    (context: RequestContext) =>
      new BatchLoader(
        (consultationIds: readonly string[]) => prescriptions.ofConsultations(context.caller, consultationIds),
        () => [],
      ),
  );
  return {
    // The patient's data export: their prescriptions, for them only.
    PatientDataExport: {
      __resolveReference: (reference: { patientId: string }) => reference,
      prescriptions: ({ patientId }: { patientId: string }, _args: unknown, { caller }: RequestContext) =>
        prescriptions.exportFor(caller, patientId),
    },
    Query: {
      medications: (_root, { search, includeInactive }, { caller }) =>
        prescriptions.medications(caller, search, includeInactive === true),
      prescription: (_root, { id }, { caller }) => prescriptions.byId(caller, id),
      prescriptions: (_root, { consultationId }, { caller }) => prescriptions.ofConsultation(caller, consultationId),
      myPrescriptions: (_root, _args, { caller }) => prescriptions.mine(caller),
    },
    Mutation: {
      createMedication: (_root, { input }, { caller }) => prescriptions.createMedication(caller, input),
      updateMedication: (_root, { id, input }, { caller }) => prescriptions.updateMedication(caller, id, input),
      deactivateMedication: (_root, { id }, { caller }) => prescriptions.deactivateMedication(caller, id),
      issuePrescription: (_root, { consultationId, input }, { caller }) =>
        prescriptions.issue(caller, consultationId, input),
    },
    Prescription: {
      // A reference from another subgraph is read like `prescription(id)`: same checks, same audit.
      __resolveReference: ({ id }: { id: string }, { caller }: RequestContext) => prescriptions.byId(caller, id),
      practitionerName: (prescription: PrescriptionView) => prescription.facts.practitioner.name,
      document: (prescription: PrescriptionView, _args: unknown, { caller }: RequestContext) =>
        prescriptions.document(caller, prescription),
    },
    Consultation: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      prescriptions: (consultation: { id: string }, _args: unknown, context: RequestContext) =>
        ofConsultation(context).load(consultation.id),
    },
  };
}
