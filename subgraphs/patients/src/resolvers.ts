import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { AllergiesService, AllergyView } from './allergy-service.ts';
import { BatchLoader, perRequest } from './batch-loader.ts';
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
      __resolveReference: ({ id }: { id: string }, { caller }: RequestContext) => patients.byId(caller, id),
      nationalIds: (patient: PatientView, _args: unknown, { caller }: RequestContext) =>
        patients.nationalIds(caller, patient.id),
      allergies: (patient: PatientView, _args: unknown, context: RequestContext) =>
        allergiesOf(context).load(patient.id),
    },
  };
}
