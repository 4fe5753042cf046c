import type { GraphQLResolverMap } from '@apollo/subgraph';
import { BatchLoader, perRequest } from '@cabinet/platform/batch-loader';
import { notFound } from '@cabinet/platform/errors';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { ClinicalView, ConsultationsService, ConsultationView } from './service.ts';

/** The clinical fields of a Consultation: read (and audited) once per consultation and request. */
const CLINICAL_FIELDS = [
  'reason',
  'examination',
  'vitals',
  'diagnoses',
  'observations',
  'requestedExams',
  'addenda',
] as const satisfies readonly (keyof ClinicalView)[];

/** Thin: arguments in, the service's views out; the stubs carry only ids for other subgraphs. */
export function createResolvers(consultations: ConsultationsService): GraphQLResolverMap<RequestContext> {
  // One loader of each kind per request: whatever the number of consultations, patients or
  // appointments a request resolves, each kind is one query (and one audit insert).
  const loader = <V, M>(
    batch: (context: RequestContext, keys: readonly string[]) => Promise<ReadonlyMap<string, V>>,
    missing: () => M,
  ) => perRequest((context: RequestContext) => new BatchLoader<string, V | M>((keys) => batch(context, keys), missing));
  const byId = loader(
    (context, ids) => consultations.byIds(context.caller, ids),
    () => null,
  );
  const ofPatient = loader(
    (context, ids) => consultations.ofPatients(context.caller, ids),
    () => [],
  );
  const ofAppointment = loader(
    (context, ids) => consultations.ofAppointments(context.caller, ids),
    () => null,
  );
  const clinical = loader(
    (context, ids) => consultations.clinical(context.caller, ids),
    () => null,
  );

  const clinicalField =
    (field: (typeof CLINICAL_FIELDS)[number]) =>
    async (consultation: ConsultationView, _args: unknown, context: RequestContext) => {
      const content = await clinical(context).load(consultation.id);
      if (!content) throw notFound('Consultation', consultation.id);
      return content[field];
    };

  return {
    Query: {
      consultation: (_root, { id }, { caller }) => consultations.byId(caller, id),
      consultations: (_root, { patientId }, { caller }) => consultations.ofPatient(caller, patientId),
      diagnosisCodes: (_root, { search, limit }, { caller }) =>
        consultations.diagnosisCodes(caller, search, limit ?? 20),
    },
    Mutation: {
      openConsultation: (_root, { appointmentId, type }, { caller }) =>
        consultations.open(caller, appointmentId, type ?? undefined),
      openWalkInConsultation: (_root, { patientId, type }, { caller }) =>
        consultations.openWalkIn(caller, patientId, type ?? undefined),
      updateConsultation: (_root, { id, input }, { caller }) => consultations.update(caller, id, input),
      signConsultation: (_root, { id }, { caller }) => consultations.sign(caller, id),
      addAddendum: (_root, { id, text }, { caller }) => consultations.addAddendum(caller, id, text),
    },
    Consultation: {
      __resolveReference: async ({ id }: { id: string }, context: RequestContext) => {
        const found = await byId(context).load(id);
        if (!found) throw notFound('Consultation', id);
        return found;
      },
      patient: (consultation: ConsultationView) => ({ __typename: 'Patient', id: consultation.patientId }),
      practitioner: (consultation: ConsultationView) => ({
        __typename: 'Practitioner',
        userId: consultation.practitionerId,
      }),
      appointment: (consultation: ConsultationView) =>
        consultation.appointmentId ? { __typename: 'Appointment', id: consultation.appointmentId } : null,
      ...Object.fromEntries(CLINICAL_FIELDS.map((field) => [field, clinicalField(field)])),
    },
    // Entities of other subgraphs this one adds fields to: a reference is all their fields need.
    Patient: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      consultations: (patient: { id: string }, _args: unknown, context: RequestContext) =>
        ofPatient(context).load(patient.id),
    },
    Appointment: {
      __resolveReference: ({ id }: { id: string }) => ({ id }),
      consultation: (appointment: { id: string }, _args: unknown, context: RequestContext) =>
        ofAppointment(context).load(appointment.id),
    },
  };
}
