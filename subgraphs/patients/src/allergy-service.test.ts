// Integration: allergies on the real PostgreSQL test database of the patients subgraph. Every
// test works in a practice of its own (random ids) and reads the audit records of its own
// patients only, so runs side by side never see each other's data.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Auditor } from '@cabinet/platform/audit';
import { FieldCipher } from '@cabinet/platform/crypto';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError, type ErrorCode } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, type AccessAudited } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger, type Logger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import type { RequestContext } from '@cabinet/platform/subgraph';
import { CheckConstraintViolationException } from '@mikro-orm/core';
import { execute, parse } from 'graphql';
import { AllergiesService, withoutClinicalContent } from './allergy-service.ts';
import { Allergy } from './persistence/allergy.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { Patient, PatientNationalId } from './persistence/patient.entity.ts';
import { RecordEntry } from './persistence/record-entry.entity.ts';
import { MedicalRecordService } from './record-service.ts';
import { createResolvers } from './resolvers.ts';
import { typeDefs } from './server.ts';
import { PatientsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_patients`;

/** Every line the services log, to check that no clinical content reaches the logs. */
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
let allergies: AllergiesService;
let records: MedicalRecordService;
const today = new Date();

before(async () => {
  orm = await openDatabase({
    url: DATABASE_URL,
    entities: [Patient, PatientNationalId, Allergy, RecordEntry, OutboxEvent],
    migrations,
  });
  // Audit records and events go to the outbox under topics of this run; no relay publishes them.
  const auditor = new Auditor({
    service: 'patients',
    orm,
    topic: `test-${randomUUID()}.audit`,
    onRecorded: () => undefined,
  });
  patients = new PatientsService({
    orm,
    log: capturingLog,
    topic: `test-${randomUUID()}.patients`,
    auditor,
    cipher: new FieldCipher(randomBytes(32).toString('base64url')),
    onEventsRecorded: () => undefined,
  });
  allergies = new AllergiesService({ orm, log: capturingLog, auditor, onEventsRecorded: () => undefined });
  records = new MedicalRecordService({ orm, log, topic: 'unused', auditor, onEventsRecorded: () => undefined });
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, userId: string = randomUUID()): Caller => ({
  requestId: randomUUID(),
  clientAddress: '2001:db8::1',
  identity: { userId, role, cabinetId, patientId: role === 'PATIENT' ? randomUUID() : null },
});

/** A practice of its own, with a doctor and a patient. */
async function practice(lastName = 'Allergique') {
  const cabinetId = randomUUID();
  const doctor = as('DOCTOR', cabinetId);
  const patient = await patients.register(doctor, { firstName: 'Alice', lastName, birthDate: '1985-06-15' });
  return { cabinetId, doctor, patientId: patient.id };
}

/** The audit records written about a patient (or, with `about: 'entityId'`, an entity), oldest first. */
async function auditOf(id: string, about: 'patientId' | 'entityId' = 'patientId'): Promise<AccessAudited[]> {
  const rows = await sql<{ payload: { data: AccessAudited } }>(
    orm.em.fork(),
    `select payload from outbox_event
     where type = ? and payload->'data'->>'${about}' = ? order by occurred_at, id`,
    [ACCESS_AUDITED, id],
  );
  return rows.map((row) => row.payload.data);
}

const fails = (code: ErrorCode, message?: string | RegExp) => (error: unknown) => {
  assert.ok(error instanceof DomainError, String(error));
  assert.equal(error.code, code, error.message);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message) assert.match(error.message, message);
  return true;
};

const PENICILLIN = { substance: 'Penicillin', reaction: 'Hives and swelling', severity: 'SEVERE' };

test('a doctor records an allergy, dated and attributed, and reads it back with the patient', async () => {
  const { doctor, patientId } = await practice();
  const recorded = await allergies.record(doctor, patientId, PENICILLIN);
  assert.deepEqual(
    { ...recorded, id: undefined, recordedAt: undefined },
    {
      id: undefined,
      substance: 'Penicillin',
      reaction: 'Hives and swelling',
      severity: 'SEVERE',
      notedOn: today.toISOString().slice(0, 10),
      recordedBy: doctor.identity?.userId,
      recordedAt: undefined,
    },
  );
  assert.ok(Math.abs(Date.parse(recorded.recordedAt) - Date.now()) < 60_000);
  const peanut = await allergies.record(doctor, patientId, {
    substance: 'Arachide',
    severity: 'LIFE_THREATENING',
    notedOn: '2001-09-01',
  });
  assert.equal(peanut.reaction, null);
  assert.equal(peanut.notedOn, '2001-09-01');

  const read = await allergies.ofPatients(doctor, [patientId]);
  assert.deepEqual(read.get(patientId), [peanut, recorded], 'most severe first, as recorded');

  const audit = await auditOf(patientId);
  assert.deepEqual(
    audit
      .filter((record) => record.entity === 'Allergy')
      .map(({ action, outcome, entityId, userId, service }) => ({ action, outcome, entityId, userId, service })),
    [
      {
        action: 'recordAllergy',
        outcome: 'ALLOWED',
        entityId: recorded.id,
        userId: doctor.identity?.userId,
        service: 'patients',
      },
      {
        action: 'recordAllergy',
        outcome: 'ALLOWED',
        entityId: peanut.id,
        userId: doctor.identity?.userId,
        service: 'patients',
      },
      {
        action: 'medicalRecord:read',
        outcome: 'ALLOWED',
        entityId: null,
        userId: doctor.identity?.userId,
        service: 'patients',
      },
    ],
  );
  assert.ok(!logged.some((line) => /Penicillin|Hives|Arachide/.test(line)), 'no clinical content in the logs');
  assert.ok(
    logged.some((line) => line.includes(recorded.id)),
    'the logs name the allergy by id',
  );
});

test('the same substance twice (case and accents aside) is a CONFLICT; after removal it can be recorded again', async () => {
  const { doctor, patientId } = await practice();
  const first = await allergies.record(doctor, patientId, { substance: 'Pénicilline', severity: 'MODERATE' });
  await assert.rejects(
    allergies.record(doctor, patientId, { substance: ' PENICILLINE ', severity: 'SEVERE' }),
    fails('CONFLICT', 'Pénicilline is already recorded as an allergy of this patient'),
  );
  await allergies.remove(doctor, first.id);
  const again = await allergies.record(doctor, patientId, { substance: 'penicilline', severity: 'SEVERE' });
  assert.deepEqual(
    (await allergies.ofPatients(doctor, [patientId])).get(patientId)?.map((allergy) => allergy.id),
    [again.id],
  );
  // Another patient may have the same allergy.
  const other = await patients.register(doctor, { firstName: 'Bob', lastName: 'Autre', birthDate: '1990-01-01' });
  await allergies.record(doctor, other.id, { substance: 'Pénicilline', severity: 'MILD' });
});

test('two doctors recording the same substance at once: one succeeds, the other gets a CONFLICT', async () => {
  const { cabinetId, doctor, patientId } = await practice();
  const colleague = as('DOCTOR', cabinetId);
  const results = await Promise.allSettled(
    [doctor, colleague, doctor, colleague].map((who) =>
      allergies.record(who, patientId, { substance: 'Latex', severity: 'MODERATE' }),
    ),
  );
  assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
  for (const result of results.filter((r) => r.status === 'rejected')) {
    fails('CONFLICT', 'Latex is already recorded as an allergy of this patient')(result.reason);
  }
  assert.equal((await allergies.ofPatients(doctor, [patientId])).get(patientId)?.length, 1);
  assert.ok(!logged.some((line) => line.includes('Latex')));
});

test('removal keeps the row, marked removed by whom and when; removing twice is a CONFLICT', async () => {
  const { cabinetId, doctor, patientId } = await practice();
  const allergy = await allergies.record(doctor, patientId, PENICILLIN);
  const colleague = as('DOCTOR', cabinetId);
  const removed = await allergies.remove(colleague, allergy.id);
  assert.equal(removed.id, allergy.id);
  assert.equal(removed.substance, 'Penicillin');
  assert.deepEqual((await allergies.ofPatients(doctor, [patientId])).get(patientId), []);
  const [row] = await sql<{ substance: string; removed_by: string; removed_at: string | Date; recorded_by: string }>(
    orm.em.fork(),
    'select substance, removed_by, removed_at, recorded_by from allergy where id = ?',
    [allergy.id],
  );
  assert.equal(row?.substance, 'Penicillin');
  assert.equal(row?.recorded_by, doctor.identity?.userId);
  assert.equal(row?.removed_by, colleague.identity?.userId);
  assert.ok(row && Math.abs(new Date(row.removed_at).getTime() - Date.now()) < 60_000);
  await assert.rejects(
    allergies.remove(doctor, allergy.id),
    fails('CONFLICT', 'This allergy has already been removed'),
  );
  const removals = (await auditOf(patientId)).filter((record) => record.action === 'removeAllergy');
  assert.deepEqual(
    removals.map(({ outcome, entityId, userId }) => ({ outcome, entityId, userId })),
    [{ outcome: 'ALLOWED', entityId: allergy.id, userId: colleague.identity?.userId }],
  );
});

test('invalid input is refused naming the field; unknown ids are NOT_FOUND', async () => {
  const { doctor, patientId } = await practice();
  await assert.rejects(
    allergies.record(doctor, patientId, { ...PENICILLIN, substance: ' ' }),
    (error: unknown) => error instanceof DomainError && error.details.field === 'allergy.substance',
  );
  await assert.rejects(
    allergies.record(doctor, patientId, { ...PENICILLIN, notedOn: '1980-01-01' }),
    (error: unknown) => error instanceof DomainError && error.details.field === 'allergy.notedOn',
    'noted before the birth of the patient',
  );
  await assert.rejects(allergies.record(doctor, randomUUID(), PENICILLIN), fails('NOT_FOUND'));
  await assert.rejects(allergies.record(doctor, 'not-an-id', PENICILLIN), fails('NOT_FOUND'));
  await assert.rejects(allergies.remove(doctor, randomUUID()), fails('NOT_FOUND'));
  await assert.rejects(allergies.remove(doctor, 'not-an-id'), fails('NOT_FOUND'));
});

test("another practice's patient and allergies are NOT_FOUND, never shown, and the refusal is audited", async () => {
  const { doctor, patientId } = await practice();
  const allergy = await allergies.record(doctor, patientId, PENICILLIN);
  const elsewhere = as('DOCTOR', randomUUID());
  await assert.rejects(allergies.record(elsewhere, patientId, PENICILLIN), fails('NOT_FOUND', new RegExp(patientId)));
  await assert.rejects(allergies.remove(elsewhere, allergy.id), fails('NOT_FOUND', new RegExp(allergy.id)));
  assert.deepEqual((await allergies.ofPatients(elsewhere, [patientId])).get(patientId), []);
  assert.equal((await allergies.ofPatients(doctor, [patientId])).get(patientId)?.length, 1, 'nothing was removed');
  const denied = (await auditOf(patientId)).filter((record) => record.userId === elsewhere.identity?.userId);
  assert.deepEqual(
    denied
      .filter((record) => record.outcome === 'DENIED')
      .map(({ action, reason, entityId }) => ({ action, reason, entityId })),
    [
      { action: 'recordAllergy', reason: 'NOT_FOUND', entityId: null },
      { action: 'removeAllergy', reason: 'NOT_FOUND', entityId: allergy.id },
    ],
  );
});

for (const role of ['SECRETARY', 'ADMIN', 'PATIENT'] as const) {
  test(`a ${role} may neither read nor write allergies: FORBIDDEN, audited`, async () => {
    const { cabinetId, doctor, patientId } = await practice();
    const allergy = await allergies.record(doctor, patientId, PENICILLIN);
    const caller = as(role, role === 'ADMIN' ? null : cabinetId);
    await assert.rejects(allergies.ofPatients(caller, [patientId]), fails('FORBIDDEN'));
    await assert.rejects(allergies.record(caller, patientId, { ...PENICILLIN, substance: 'Iode' }), fails('FORBIDDEN'));
    await assert.rejects(allergies.remove(caller, allergy.id), fails('FORBIDDEN'));
    assert.equal((await allergies.ofPatients(doctor, [patientId])).get(patientId)?.length, 1);
    const denied = (await auditOf(patientId)).filter((record) => record.userId === caller.identity?.userId);
    assert.deepEqual(
      denied.map(({ action, outcome, reason }) => ({ action, outcome, reason })),
      [
        { action: 'medicalRecord:read', outcome: 'DENIED', reason: 'FORBIDDEN' },
        { action: 'recordAllergy', outcome: 'DENIED', reason: 'FORBIDDEN' },
      ],
    );
    // The removal is refused before the allergy is looked up: its record names the allergy only.
    const removal = (await auditOf(allergy.id, 'entityId')).filter(
      (record) => record.userId === caller.identity?.userId,
    );
    assert.deepEqual(
      removal.map(({ action, outcome, reason, patientId }) => ({ action, outcome, reason, patientId })),
      [{ action: 'removeAllergy', outcome: 'DENIED', reason: 'FORBIDDEN', patientId: null }],
    );
  });
}

test('a refused read of several patients leaves a DENIED record in each patient’s trail', async () => {
  const { cabinetId, doctor, patientId } = await practice();
  const second = await patients.register(doctor, { firstName: 'Bea', lastName: 'Deux', birthDate: '1970-02-02' });
  const secretary = as('SECRETARY', cabinetId);
  await assert.rejects(allergies.ofPatients(secretary, [patientId, second.id]), fails('FORBIDDEN'));
  for (const id of [patientId, second.id]) {
    assert.deepEqual(
      (await auditOf(id))
        .filter((record) => record.userId === secretary.identity?.userId)
        .map(({ action, outcome }) => ({ action, outcome })),
      [{ action: 'medicalRecord:read', outcome: 'DENIED' }],
    );
  }
});

test('patients { allergies } through the resolvers: one allergy query for the whole list', async () => {
  const { cabinetId, doctor } = await practice('Un');
  const ids: string[] = [];
  for (const [lastName, substance] of [
    ['Deux', 'Iode'],
    ['Trois', 'Latex'],
    ['Quatre', null],
  ] as const) {
    const patient = await patients.register(doctor, { firstName: 'P', lastName, birthDate: '1980-01-01' });
    ids.push(patient.id);
    if (substance) await allergies.record(doctor, patient.id, { substance, severity: 'MILD' });
  }
  const batches: string[][] = [];
  const counting = Object.create(allergies) as AllergiesService;
  counting.ofPatients = (caller, patientIds) => {
    batches.push([...patientIds]);
    return allergies.ofPatients(caller, patientIds);
  };
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(patients, counting, records) }]);
  let allergyQueries = 0;
  const onQuery = orm.config.get('onQuery');
  orm.config.set('onQuery', (query: string, params: readonly unknown[]) => {
    if (/from "allergy"/.test(query)) allergyQueries++;
    return onQuery(query, params);
  });
  let result: Awaited<ReturnType<typeof execute>>;
  try {
    const context: RequestContext = { caller: as('DOCTOR', cabinetId, doctor.identity?.userId), log };
    result = await execute({
      schema,
      document: parse('{ patients { lastName allergies { substance } } }'),
      contextValue: context,
    });
  } finally {
    orm.config.set('onQuery', onQuery);
  }
  assert.deepEqual(result.errors, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(result.data?.patients)), [
    { lastName: 'Deux', allergies: [{ substance: 'Iode' }] },
    { lastName: 'Quatre', allergies: [] },
    { lastName: 'Trois', allergies: [{ substance: 'Latex' }] },
    { lastName: 'Un', allergies: [] },
  ]);
  assert.equal(batches.length, 1, 'one batch for the list');
  assert.equal(batches[0]?.length, 4);
  assert.equal(allergyQueries, 1, 'one SQL query on the allergy table');
  // Each patient's medical record read is audited, once.
  for (const id of ids) {
    const reads = (await auditOf(id)).filter((record) => record.action === 'medicalRecord:read');
    assert.equal(reads.length, 1);
  }
});

test('an unexpected database error loses its message and details (they hold the values) before it is logged', () => {
  const driverError = new CheckConstraintViolationException(
    Object.assign(new Error("insert into \"allergy\" (...) values ('Penicillin', 'Hives') - violates check"), {
      code: '23514',
      constraint: 'allergy_substance_check',
      detail: 'Failing row contains (Penicillin, Hives)',
    }),
  );
  const cleaned = withoutClinicalContent(driverError) as Error & { code?: string; constraint?: string };
  assert.equal(cleaned.message, 'CheckConstraintViolationException while writing an allergy');
  assert.equal(cleaned.code, '23514');
  assert.equal(cleaned.constraint, 'allergy_substance_check');
  assert.doesNotMatch(JSON.stringify({ ...cleaned, stack: cleaned.stack }), /Penicillin|Hives/);
  const domain = new DomainError('CONFLICT', 'kept');
  assert.equal(withoutClinicalContent(domain), domain);
});
