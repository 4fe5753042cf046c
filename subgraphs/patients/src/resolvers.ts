import type { GraphQLResolverMap } from '@apollo/subgraph';
import { BatchLoader, perRequest } from '@cabinet/platform/batch-loader';
import { DomainError, notFound } from '@cabinet/platform/errors';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { AllergiesService, AllergyView } from './allergy-service.ts';
import type { PatientsService, PatientView } from './service.ts';

export function createResolvers(
  patients: PatientsService,
  allergies: AllergiesService,
): GraphQLResolverMap<RequestContext> {
  // One loader per request: the allergies of every patient a request lists come from one query.
  const allergiesOf = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, AllergyView[]>(
        (patientIds) => allergies.ofPatients(caller, patientIds),
        () => [],
      ),
  );
  // One loader per request: the router sends every `Patient` reference of a request (an agenda's
  // appointments) in one `_entities` call; they are read, and audited, in one go.
  const patientsById = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, PatientView | DomainError>(
        (ids) => patients.byIds(caller, ids),
        (id) => notFound('Patient', id),
      ),
  );
  return {
    Query: {
      patients: (_root, args, { caller }) => patients.list(caller, args),
      patient: (_root, { id }, { caller }) => patients.byId(caller, id),
    },
    Mutation: {
      registerPatient: (_root, { input }, { caller }) => patients.register(caller, input),
      recordAllergy: (_root, { patientId, input }, { caller }) => allergies.record(caller, patientId, input),
      removeAllergy: (_root, { id }, { caller }) => allergies.remove(caller, id),
    },
    Patient: {
      __resolveReference: async ({ id }: { id: string }, context: RequestContext) => {
        const patient = await patientsById(context).load(id);
        if (patient instanceof DomainError) throw patient;
        return patient;
      },
      nationalIds: (patient: PatientView, _args: unknown, { caller }: RequestContext) =>
        patients.nationalIds(caller, patient.id),
      allergies: (patient: PatientView, _args: unknown, context: RequestContext) =>
        allergiesOf(context).load(patient.id),
    },
  };
}
