// Integration: `Patient` references resolved through the subgraph's `_entities` field, on the real
// PostgreSQL test database of the patients subgraph. Every test works in a practice of its own
// (random ids) and reads the audit records of its own patients only.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Auditor } from '@cabinet/platform/audit';
import { FieldCipher } from '@cabinet/platform/crypto';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import type { DomainError } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, type AccessAudited } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import type { RequestContext } from '@cabinet/platform/subgraph';
import { execute, type GraphQLSchema, parse } from 'graphql';
import { AllergiesService } from './allergy-service.ts';
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
const log = createLogger('test', 'silent');

let orm: MikroORM;
let patients: PatientsService;
let schema: GraphQLSchema;

before(async () => {
  orm = await openDatabase({
    url: DATABASE_URL,
    entities: [Patient, PatientNationalId, Allergy, RecordEntry, OutboxEvent],
    migrations,
  });
  const auditor = new Auditor({
    service: 'patients',
    orm,
    topic: `test-${randomUUID()}.audit`,
    onRecorded: () => undefined,
  });
  patients = new PatientsService({
    orm,
    log,
    topic: `test-${randomUUID()}.patients`,
    auditor,
    cipher: new FieldCipher(randomBytes(32).toString('base64url')),
    onEventsRecorded: () => undefined,
  });
  const allergies = new AllergiesService({ orm, log, auditor, onEventsRecorded: () => undefined });
  const records = new MedicalRecordService({ orm, log, topic: 'unused', auditor, onEventsRecorded: () => undefined });
  schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(patients, allergies, records) }]);
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, userId: string = randomUUID()): Caller => ({
  requestId: randomUUID(),
  clientAddress: '2001:db8::1',
  identity: { userId, role, cabinetId, patientId: role === 'PATIENT' ? randomUUID() : null },
});

/** A name (letters only) per index. */
const nameOf = (i: number): string => `${String.fromCharCode(65 + (i % 26))}${'abcdefgh'[Math.floor(i / 26)]}`;

/** A practice of its own, with a doctor and `count` patients (ids in registration order). */
async function practice(count: number) {
  const cabinetId = randomUUID();
  const doctor = as('DOCTOR', cabinetId);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      (
        await patients.register(doctor, {
          firstName: `P${nameOf(i)}`,
          lastName: `N${nameOf(i)}`,
          birthDate: '1980-01-01',
        })
      ).id,
    );
  }
  return { cabinetId, doctor, ids };
}

/** The audit records whose entity is one of `ids`, oldest first. */
async function auditOf(ids: string[], requestId: string): Promise<AccessAudited[]> {
  const rows = await sql<{ payload: { data: AccessAudited } }>(
    orm.em.fork(),
    `select payload from outbox_event
     where type = ? and payload->'data'->>'requestId' = ? order by occurred_at, id`,
    [ACCESS_AUDITED, requestId],
  );
  return rows.map((row) => row.payload.data).filter((record) => ids.includes(record.entityId ?? ''));
}

const ENTITIES = parse(`query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Patient { id firstName lastName } }
}`);

/** Runs `_entities` as the router would, counting SQL statements on `patient` and transactions. */
async function resolveReferences(caller: Caller, ids: string[]) {
  let patientQueries = 0;
  let transactions = 0;
  const onQuery = orm.config.get('onQuery');
  orm.config.set('onQuery', (query: string, params: readonly unknown[]) => {
    if (/from "patient"/.test(query)) patientQueries++;
    return onQuery(query, params);
  });
  // Transactions are counted where they begin (BEGIN does not go through onQuery).
  const connection = orm.em.getConnection();
  const begin = connection.begin;
  connection.begin = function (this: typeof connection, ...args: Parameters<typeof begin>) {
    transactions++;
    return begin.apply(this, args);
  };
  try {
    const context: RequestContext = { caller, log };
    const result = await execute({
      schema,
      document: ENTITIES,
      variableValues: { representations: ids.map((id) => ({ __typename: 'Patient', id })) },
      contextValue: context,
    });
    const errors = result.errors?.map((error) => ({
      path: error.path,
      message: error.message,
      extensions: { code: (error.originalError as DomainError | undefined)?.code },
    }));
    return { result: { data: JSON.parse(JSON.stringify(result.data)), errors }, patientQueries, transactions };
  } finally {
    orm.config.set('onQuery', onQuery);
    connection.begin = begin;
  }
}

test('4 and 40 references cost the same: one query on patient, one audit transaction, a record each', async () => {
  const measured: Record<number, { patientQueries: number; transactions: number }> = {};
  for (const count of [4, 40]) {
    const { cabinetId, doctor, ids } = await practice(count);
    const caller = as('DOCTOR', cabinetId, doctor.identity?.userId);
    const { result, patientQueries, transactions } = await resolveReferences(caller, ids);
    assert.deepEqual(result.errors, undefined);
    assert.deepEqual(
      result.data._entities,
      ids.map((id, i) => ({ id, firstName: `P${nameOf(i)}`, lastName: `N${nameOf(i)}` })),
    );
    measured[count] = { patientQueries, transactions };
    const audit = await auditOf(ids, caller.requestId);
    assert.deepEqual(
      audit
        .map(({ action, outcome, entityId, patientId }) => ({ action, outcome, entityId, patientId }))
        .sort((a, b) => (a.entityId ?? '').localeCompare(b.entityId ?? '')),
      [...ids].sort().map((id) => ({ action: 'patient:read', outcome: 'ALLOWED', entityId: id, patientId: id })),
    );
  }
  assert.deepEqual(measured[4], { patientQueries: 1, transactions: 1 });
  assert.deepEqual(measured[40], measured[4]);
});

test('unknown, malformed and other-practice ids are NOT_FOUND at their index, audited DENIED; the others resolve', async () => {
  const { cabinetId, doctor, ids } = await practice(2);
  const elsewhere = await practice(1);
  const unknown = randomUUID();
  const otherPractice = elsewhere.ids[0] as string;
  const requested = [ids[0] as string, unknown, otherPractice, ids[1] as string, 'not-an-id'];
  const caller = as('DOCTOR', cabinetId, doctor.identity?.userId);
  const { result, patientQueries, transactions } = await resolveReferences(caller, requested);
  assert.deepEqual(
    { patientQueries, transactions },
    { patientQueries: 1, transactions: 1 },
    'the refusals go in the same audit transaction',
  );
  assert.deepEqual(result.data._entities, [
    { id: ids[0], firstName: 'PAa', lastName: 'NAa' },
    null,
    null,
    { id: ids[1], firstName: 'PBa', lastName: 'NBa' },
    null,
  ]);
  const errors = [...(result.errors ?? [])].sort((a, b) => Number(a.path?.[1]) - Number(b.path?.[1]));
  assert.deepEqual(
    errors.map(({ path, extensions }) => ({ path, code: extensions.code })),
    [1, 2, 4].map((index) => ({ path: ['_entities', index], code: 'NOT_FOUND' })),
  );
  // Unknown and other-practice ids are indistinguishable: the same message as `patient(id)` gives.
  for (const [index, id] of [
    [1, unknown],
    [2, otherPractice],
  ] as const) {
    const single = await execute({
      schema,
      document: parse('query ($id: ID!) { patient(id: $id) { id } }'),
      variableValues: { id },
      contextValue: { caller: { ...caller, requestId: randomUUID() }, log } satisfies RequestContext,
    });
    assert.equal(errors.find((error) => error.path?.[1] === index)?.message, single.errors?.[0]?.message);
    assert.equal((single.errors?.[0]?.originalError as DomainError | undefined)?.code, 'NOT_FOUND');
  }
  const audit = await auditOf(requested, caller.requestId);
  const byEntity = new Map(audit.map((record) => [record.entityId, record]));
  for (const id of ids) assert.equal(byEntity.get(id)?.outcome, 'ALLOWED');
  for (const id of [unknown, otherPractice, 'not-an-id']) {
    assert.deepEqual(
      { outcome: byEntity.get(id)?.outcome, reason: byEntity.get(id)?.reason },
      { outcome: 'DENIED', reason: 'NOT_FOUND' },
    );
  }
  assert.equal(byEntity.get('not-an-id')?.patientId, null);
  assert.equal(audit.length, 5, 'one record per id');
});

for (const role of ['ADMIN'] as const) {
  test(`a ${role} (no patient:read) gets FORBIDDEN for every reference, each refusal audited, nothing read`, async () => {
    const { ids } = await practice(3);
    const caller = as(role, null);
    const { result, patientQueries, transactions } = await resolveReferences(caller, ids);
    assert.equal(patientQueries, 0);
    assert.equal(transactions, 1);
    assert.deepEqual(result.data._entities, [null, null, null]);
    assert.deepEqual(
      (result.errors ?? [])
        .map(({ path, extensions }) => ({ path, code: extensions.code }))
        .sort((a, b) => Number(a.path?.[1]) - Number(b.path?.[1])),
      [0, 1, 2].map((index) => ({ path: ['_entities', index], code: 'FORBIDDEN' })),
    );
    const audit = await auditOf(ids, caller.requestId);
    assert.deepEqual(
      audit.map(({ outcome, reason }) => ({ outcome, reason })),
      ids.map(() => ({ outcome: 'DENIED', reason: 'FORBIDDEN' })),
    );
  });
}

test('a PATIENT account resolves its own file only: every other reference is NOT_FOUND, each audited', async () => {
  const { cabinetId, ids } = await practice(3);
  const [own, ...others] = ids as [string, ...string[]];
  const caller: Caller = {
    requestId: randomUUID(),
    clientAddress: null,
    identity: { userId: randomUUID(), role: 'PATIENT', cabinetId, patientId: own },
  };
  const { result } = await resolveReferences(caller, ids);
  assert.equal(result.data._entities[0].id, own);
  assert.deepEqual(result.data._entities.slice(1), [null, null]);
  assert.deepEqual(
    (result.errors ?? [])
      .map(({ path, extensions }) => ({ path, code: extensions.code }))
      .sort((a, b) => Number(a.path?.[1]) - Number(b.path?.[1])),
    [1, 2].map((index) => ({ path: ['_entities', index], code: 'NOT_FOUND' })),
  );
  const audit = await auditOf(ids, caller.requestId);
  const byEntity = new Map(audit.map((record) => [record.entityId, record.outcome]));
  assert.equal(byEntity.get(own), 'ALLOWED');
  for (const id of others) assert.equal(byEntity.get(id), 'DENIED');
});
