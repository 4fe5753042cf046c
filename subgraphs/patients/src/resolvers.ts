import type { GraphQLResolverMap } from '@apollo/subgraph';
import { BatchLoader, perRequest } from '@cabinet/platform/batch-loader';
import { DomainError, notFound } from '@cabinet/platform/errors';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { AllergiesService, AllergyView } from './allergy-service.ts';
import type { MedicalRecordService, MedicalRecordView } from './record-service.ts';
import type { PatientsService, PatientView } from './service.ts';

export function createResolvers(
  patients: PatientsService,
  allergies: AllergiesService,
  records: MedicalRecordService,
): GraphQLResolverMap<RequestContext> {
  // One loader per request: the medical records of every patient a request lists come from one query.
  const recordsOf = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, MedicalRecordView>(
        (patientIds) => records.ofPatients(caller, patientIds),
        (patientId) => ({
          patientId,
          medicalHistory: [],
          surgicalHistory: [],
          familyHistory: [],
          treatments: [],
          habits: [],
          documents: [],
        }),
      ),
  );
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
    // The patient's data export: their own file, for them only.
    PatientDataExport: {
      __resolveReference: (reference: { patientId: string }) => reference,
      file: async ({ patientId }: { patientId: string }, _args: unknown, { caller }: RequestContext) => {
        const own = await patients.mine(caller);
        if (own.id !== patientId) throw notFound('PatientDataExport', patientId);
        return own;
      },
    },
    Query: {
      patients: (_root, args, { caller }) => patients.list(caller, args),
      patient: (_root, { id }, { caller }) => patients.byId(caller, id),
      myPatientFile: (_root, _args, { caller }) => patients.mine(caller),
    },
    Mutation: {
      registerPatient: (_root, { input }, { caller }) => patients.register(caller, input),
      recordAllergy: (_root, { patientId, input }, { caller }) => allergies.record(caller, patientId, input),
      removeAllergy: (_root, { id }, { caller }) => allergies.remove(caller, id),
      updatePatient: (_root, { id, input }, { caller }) => patients.update(caller, id, input),
      archivePatient: (_root, { id, reason }, { caller }) => patients.archive(caller, id, reason),
      restorePatient: (_root, { id }, { caller }) => patients.restore(caller, id),
      addHistoryEntry: (_root, { patientId, input }, { caller }) => records.addHistory(caller, patientId, input),
      addTreatment: (_root, { patientId, input }, { caller }) => records.addTreatment(caller, patientId, input),
      endTreatment: (_root, { id, until }, { caller }) => records.endTreatment(caller, id, until),
      recordHabit: (_root, { patientId, input }, { caller }) => records.recordHabit(caller, patientId, input),
      addDocument: (_root, { patientId, input }, { caller }) => records.addDocument(caller, patientId, input),
      removeRecordEntry: (_root, { id }, { caller }) => records.remove(caller, id),
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
      medicalRecord: (patient: PatientView, _args: unknown, context: RequestContext) =>
        recordsOf(context).load(patient.id),
    },
    MedicalRecord: {
      allergies: (record: MedicalRecordView, _args: unknown, context: RequestContext) =>
        allergiesOf(context).load(record.patientId),
    },
  };
}
