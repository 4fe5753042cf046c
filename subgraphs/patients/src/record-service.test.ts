// Integration: the medical record (history, treatments, habits, documents) on the real PostgreSQL
// test database of the patients subgraph. Every test works in a practice of its own (random ids)
// and reads the outbox records of its own patients only.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Auditor } from '@cabinet/platform/audit';
import { FieldCipher } from '@cabinet/platform/crypto';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, MEDICAL_RECORD_UPDATED } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger, type Logger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { AllergiesService } from './allergy-service.ts';
import { Allergy } from './persistence/allergy.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { Patient, PatientNationalId } from './persistence/patient.entity.ts';
import { RecordEntry } from './persistence/record-entry.entity.ts';
import { MedicalRecordService } from './record-service.ts';
import { PatientsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_patients`;

/** Every line the service logs, to check that no clinical content reaches the logs. */
const logged: string[] = [];
const log = createLogger('test', 'silent');
const capturingLog = new Proxy(log, {
  get(target, property, receiver) {
    if (['info', 'warn', 'error', 'debug'].includes(property as string)) {
      return (...args: unknown[]) => {
        logged.push(JSON.stringify(args));
      };
    }
    return Reflect.get(target, property, receiver);
  },
}) as Logger;

let orm: MikroORM;
let patients: PatientsService;
let records: MedicalRecordService;
const topic = `test-${randomUUID()}.patients`;

before(async () => {
  orm = await openDatabase({
    url: DATABASE_URL,
    entities: [Patient, PatientNationalId, Allergy, RecordEntry, OutboxEvent],
    migrations,
  });
  const auditor = new Auditor({ service: 'patients', orm, topic: `test-${randomUUID()}.audit`, onRecorded: () => {} });
  patients = new PatientsService({
    orm,
    log,
    topic,
    auditor,
    cipher: new FieldCipher(randomBytes(32).toString('base64url')),
    onEventsRecorded: () => {},
  });
  records = new MedicalRecordService({ orm, log: capturingLog, topic, auditor, onEventsRecorded: () => {} });
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, patientId: string | null = null): Caller => ({
  requestId: randomUUID(),
  clientAddress: null,
  identity: { userId: randomUUID(), role, cabinetId, patientId },
});

async function practice() {
  const cabinetId = randomUUID();
  const doctor = as('DOCTOR', cabinetId);
  const patient = await patients.register(as('SECRETARY', cabinetId), {
    firstName: 'Rose',
    lastName: 'Dossier',
    birthDate: '1960-03-03',
  });
  return { cabinetId, doctor, patientId: patient.id };
}

const recordOf = async (caller: Caller, patientId: string) => {
  const found = (await records.ofPatients(caller, [patientId])).get(patientId);
  assert.ok(found);
  return found;
};

const code = (expected: string) => (error: unknown) => error instanceof DomainError && error.code === expected;
const badInput = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

test('a doctor fills every section; entries are dated, attributed, listed by section, announced without content', async () => {
  const { cabinetId, doctor, patientId } = await practice();
  const diabetes = await records.addHistory(doctor, patientId, {
    kind: 'MEDICAL',
    condition: 'Diabète de type 2',
    code: 'e11.9',
    occurred: '2015',
  });
  assert.equal(diabetes.code, 'E11.9');
  assert.equal(diabetes.recordedBy, doctor.identity?.userId);
  const appendix = await records.addHistory(doctor, patientId, {
    kind: 'SURGICAL',
    condition: 'Appendicectomie',
    occurred: '1978-05-12',
  });
  const mother = await records.addHistory(doctor, patientId, {
    kind: 'FAMILY',
    condition: 'Cancer du sein',
    relation: 'mère',
    occurred: '1950',
  });
  const metformin = await records.addTreatment(doctor, patientId, {
    medication: 'Metformine',
    dosage: '500 mg matin et soir',
    since: '2015-06-01',
  });
  assert.equal(metformin.current, true);
  const tobacco = await records.recordHabit(doctor, patientId, { kind: 'TOBACCO', value: '10 cigarettes/jour' });
  const scan = await records.addDocument(doctor, patientId, {
    title: 'Échographie abdominale',
    kind: 'IMAGING',
    date: '2024-02-01',
    contentType: 'application/PDF',
    sizeBytes: 123456,
    storageRef: 's3://records/abc.pdf',
  });
  assert.equal(scan.contentType, 'application/pdf');

  const record = await recordOf(doctor, patientId);
  assert.deepEqual(
    record.medicalHistory.map((e) => e.id),
    [diabetes.id],
  );
  assert.deepEqual(
    record.surgicalHistory.map((e) => [e.id, e.kind]),
    [[appendix.id, 'SURGICAL']],
  );
  assert.deepEqual(
    record.familyHistory.map((e) => [e.id, e.relation]),
    [[mother.id, 'mère']],
  );
  assert.deepEqual(
    record.treatments.map((e) => [e.medication, e.dosage, e.since, e.until]),
    [['Metformine', '500 mg matin et soir', '2015-06-01', null]],
  );
  assert.deepEqual(
    record.habits.map((e) => [e.id, e.kind, e.value]),
    [[tobacco.id, 'TOBACCO', '10 cigarettes/jour']],
  );
  assert.deepEqual(
    record.documents.map((e) => [e.id, e.kind, e.sizeBytes, e.storageRef]),
    [[scan.id, 'IMAGING', 123456, 's3://records/abc.pdf']],
  );

  const events = await sql<{ payload: { data: Record<string, string> } }>(
    orm.em.fork(),
    'select payload from outbox_event where topic = ? and type = ? and key = ? order by occurred_at, id',
    [topic, MEDICAL_RECORD_UPDATED, patientId],
  );
  assert.deepEqual(
    events.map((row) => row.payload.data.section),
    ['MEDICAL_HISTORY', 'SURGICAL_HISTORY', 'FAMILY_HISTORY', 'TREATMENT', 'HABIT', 'DOCUMENT'],
  );
  assert.deepEqual(Object.keys(events[0]?.payload.data ?? {}).sort(), ['cabinetId', 'entryId', 'patientId', 'section']);
  assert.equal(events[0]?.payload.data.cabinetId, cabinetId);
  const text = JSON.stringify(events) + logged.join('\n');
  for (const secret of ['Diabète', 'Metformine', 'cigarettes', 'Échographie', 'mère']) {
    assert.doesNotMatch(text, new RegExp(secret), `${secret} is in no event and no log`);
  }
});

test('every read of the record is audited with the patient id; non-doctors and other practices read nothing', async () => {
  const { cabinetId, doctor, patientId } = await practice();
  await records.addHistory(doctor, patientId, { kind: 'MEDICAL', condition: 'Asthme' });
  const reader = as('DOCTOR', cabinetId);
  await recordOf(reader, patientId);
  const reads = await sql(
    orm.em.fork(),
    `select 1 from outbox_event where type = ? and payload->'data'->>'userId' = ?
       and payload->'data'->>'action' = 'medicalRecord:read' and payload->'data'->>'patientId' = ?
       and payload->'data'->>'outcome' = 'ALLOWED'`,
    [ACCESS_AUDITED, reader.identity?.userId, patientId],
  );
  assert.equal(reads.length, 1);
  for (const role of ['SECRETARY', 'PATIENT', 'ADMIN'] as const) {
    // A PATIENT account linked to another file (its own reads are allowed, below).
    const caller = as(role, role === 'ADMIN' ? null : cabinetId, role === 'PATIENT' ? randomUUID() : null);
    await assert.rejects(records.ofPatients(caller, [patientId]), code('FORBIDDEN'));
    await assert.rejects(records.addHistory(caller, patientId, { kind: 'MEDICAL', condition: 'X' }), code('FORBIDDEN'));
    const denied = await sql(
      orm.em.fork(),
      `select 1 from outbox_event where type = ? and payload->'data'->>'userId' = ?
         and payload->'data'->>'action' = 'medicalRecord:read' and payload->'data'->>'patientId' = ?
         and payload->'data'->>'outcome' = 'DENIED'`,
      [ACCESS_AUDITED, caller.identity?.userId, patientId],
    );
    assert.equal(denied.length, 1, `${role}'s refused read is in the patient's trail`);
  }
  const elsewhere = as('DOCTOR', randomUUID());
  assert.deepEqual((await recordOf(elsewhere, patientId)).medicalHistory, []);
  await assert.rejects(records.addTreatment(elsewhere, patientId, { medication: 'Ventoline' }), code('NOT_FOUND'));
});

test('invalid entries are refused naming the field, and nothing is stored', async () => {
  const { doctor, patientId } = await practice();
  const cases: [string, () => Promise<unknown>][] = [
    ['history.relation', () => records.addHistory(doctor, patientId, { kind: 'FAMILY', condition: 'Diabète' })],
    [
      'history.relation',
      () => records.addHistory(doctor, patientId, { kind: 'MEDICAL', condition: 'Diabète', relation: 'père' }),
    ],
    [
      'history.occurred',
      () => records.addHistory(doctor, patientId, { kind: 'MEDICAL', condition: 'A', occurred: '1950' }),
    ],
    ['history.code', () => records.addHistory(doctor, patientId, { kind: 'MEDICAL', condition: 'A', code: 'E11 9 !' })],
    ['history.kind', () => records.addHistory(doctor, patientId, { kind: 'OTHER', condition: 'A' })],
    [
      'treatment.until',
      () => records.addTreatment(doctor, patientId, { medication: 'X', since: '2020-01-02', until: '2020-01-01' }),
    ],
    ['treatment.medication', () => records.addTreatment(doctor, patientId, { medication: '  ' })],
    ['habit.label', () => records.recordHabit(doctor, patientId, { kind: 'OTHER', value: 'oui' })],
    ['habit.kind', () => records.recordHabit(doctor, patientId, { kind: 'SLEEP', value: '8h' })],
    [
      'document.sizeBytes',
      () =>
        records.addDocument(doctor, patientId, {
          title: 'Bilan',
          kind: 'LAB_RESULT',
          contentType: 'application/pdf',
          sizeBytes: 0,
          storageRef: 'ref',
        }),
    ],
    [
      'document.contentType',
      () =>
        records.addDocument(doctor, patientId, {
          title: 'Bilan',
          kind: 'LAB_RESULT',
          contentType: 'pdf',
          sizeBytes: 10,
          storageRef: 'ref',
        }),
    ],
  ];
  for (const [field, call] of cases) await assert.rejects(call(), badInput(field), field);
  const stored = await sql(orm.em.fork(), 'select id from record_entry where patient_id = ?', [patientId]);
  assert.deepEqual(stored, []);
});

test('removal is soft and happens once; a treatment ends once; a new habit value replaces the current one', async () => {
  const { cabinetId, doctor, patientId } = await practice();
  const entry = await records.addHistory(doctor, patientId, { kind: 'MEDICAL', condition: 'Migraine' });
  const removed = await records.remove(doctor, entry.id);
  assert.ok(removed.removedAt);
  await assert.rejects(records.remove(doctor, entry.id), code('CONFLICT'));
  await assert.rejects(records.remove(as('DOCTOR', randomUUID()), entry.id), code('NOT_FOUND'));
  assert.deepEqual((await recordOf(doctor, patientId)).medicalHistory, []);
  const [row] = await sql<{ removed_by: string }>(orm.em.fork(), 'select removed_by from record_entry where id = ?', [
    entry.id,
  ]);
  assert.equal(row?.removed_by, doctor.identity?.userId);

  const treatment = await records.addTreatment(doctor, patientId, { medication: 'Amoxicilline', since: '2020-01-01' });
  await assert.rejects(records.endTreatment(doctor, treatment.id, '2019-12-31'), badInput('until'));
  const ended = await records.endTreatment(doctor, treatment.id, '2020-01-08');
  assert.deepEqual([ended.until, ended.current], ['2020-01-08', false]);
  await assert.rejects(records.endTreatment(doctor, treatment.id, null), code('CONFLICT'));
  await assert.rejects(records.endTreatment(doctor, entry.id, null), code('NOT_FOUND'));

  await records.recordHabit(doctor, patientId, { kind: 'TOBACCO', value: '20/jour' });
  const now = await records.recordHabit(as('DOCTOR', cabinetId), patientId, { kind: 'TOBACCO', value: 'sevré 2024' });
  await records.recordHabit(doctor, patientId, { kind: 'OTHER', label: 'Régime', value: 'végétarien' });
  const habits = (await recordOf(doctor, patientId)).habits;
  assert.deepEqual(
    habits.map((h) => [h.kind, h.value]),
    [
      ['TOBACCO', 'sevré 2024'],
      ['OTHER', 'végétarien'],
    ],
  );
  assert.equal(habits[0]?.id, now.id);
});

test('allergies announce MedicalRecordUpdated too (section ALLERGY), without the substance', async () => {
  const { doctor, patientId } = await practice();
  const auditor = new Auditor({ service: 'patients', orm, topic: `test-${randomUUID()}.audit`, onRecorded: () => {} });
  const allergies = new AllergiesService({ orm, log, topic, auditor, onEventsRecorded: () => {} });
  const allergy = await allergies.record(doctor, patientId, { substance: 'Arachide', severity: 'SEVERE' });
  await allergies.remove(doctor, allergy.id);
  const events = await sql<{ payload: { data: Record<string, string> } }>(
    orm.em.fork(),
    'select payload from outbox_event where topic = ? and type = ? and key = ? order by occurred_at, id',
    [topic, MEDICAL_RECORD_UPDATED, patientId],
  );
  assert.deepEqual(
    events.map((row) => [row.payload.data.section, row.payload.data.entryId]),
    [
      ['ALLERGY', allergy.id],
      ['ALLERGY', allergy.id],
    ],
  );
  assert.doesNotMatch(JSON.stringify(events), /Arachide/);
});

test('a PATIENT account reads its own record, and only its own; it writes nothing', async () => {
  const { cabinetId, doctor, patientId } = await practice();
  const other = await practice();
  await records.addTreatment(doctor, patientId, { medication: 'Lévothyrox', dosage: '75 µg' });
  const self = as('PATIENT', cabinetId, patientId);
  assert.deepEqual(
    (await recordOf(self, patientId)).treatments.map((t) => t.medication),
    ['Lévothyrox'],
  );
  await assert.rejects(records.ofPatients(self, [patientId, other.patientId]), code('FORBIDDEN'));
  await assert.rejects(records.ofPatients(self, [other.patientId]), code('FORBIDDEN'));
  // Linked to a file of another practice's id space: nothing of this practice is read.
  assert.deepEqual((await recordOf(as('PATIENT', randomUUID(), patientId), patientId)).treatments, []);
  await assert.rejects(records.addTreatment(self, patientId, { medication: 'X' }), code('FORBIDDEN'));
  await assert.rejects(records.remove(self, randomUUID()), code('FORBIDDEN'));
});
