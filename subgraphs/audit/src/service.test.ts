// Integration: the real PostgreSQL test database of the audit subgraph. It is shared: every test
// looks only at records of its own (random patients, users, practices).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError } from '@cabinet/platform/errors';
import type { Caller, Identity, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import type { AuditEntry } from './domain/entry.ts';
import { AuditRecord } from './persistence/audit-record.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { AuditService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_audit`;

let orm: MikroORM;
let service: AuditService;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities: [AuditRecord], migrations });
  service = new AuditService({ orm, log: createLogger('audit-test', 'silent'), retentionDays: 3650 });
});

after(async () => {
  await orm?.close(true);
});

const callerOf = (role: Role, extra: Partial<Identity> = {}): Caller => ({
  requestId: randomUUID(),
  clientAddress: null,
  identity: { userId: randomUUID(), role, cabinetId: role === 'ADMIN' ? null : randomUUID(), ...extra },
});
const admin = callerOf('ADMIN');
const anonymous: Caller = { requestId: randomUUID(), clientAddress: null, identity: null };
const hasCode = (code: string) => (error: unknown) => error instanceof DomainError && error.code === code;

const minutesAgo = (minutes: number): Date => new Date(Date.now() - minutes * 60_000);

const entryOf = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  sourceEventId: randomUUID(),
  occurredAt: new Date(),
  service: 'patients',
  action: 'patient:read',
  entity: 'Patient',
  entityId: null,
  patientId: null,
  outcome: 'ALLOWED',
  reason: null,
  userId: randomUUID(),
  role: 'DOCTOR',
  cabinetId: randomUUID(),
  requestId: randomUUID(),
  clientAddress: '203.0.113.5',
  ...overrides,
});

const storedCount = async (sourceEventId: string): Promise<number> =>
  (
    await sql<{ n: number }>(orm.em.fork(), 'select count(*)::int as n from audit_record where source_event_id = ?', [
      sourceEventId,
    ])
  )[0]?.n ?? -1;

test('an entry is recorded with all its facts, and readable by ADMIN', async () => {
  const patientId = randomUUID();
  const entry = entryOf({
    patientId,
    entityId: patientId,
    occurredAt: new Date('2025-02-03T04:05:06.789Z'),
    outcome: 'DENIED',
    reason: 'FORBIDDEN',
  });
  assert.equal(await service.record(entry), true);
  const [record, ...rest] = await service.search(admin, { filter: { patientId } });
  assert.equal(rest.length, 0);
  assert.ok(record);
  assert.match(record.id, /^[0-9a-f-]{36}$/);
  assert.match(record.seq, /^\d+$/);
  assert.deepEqual(
    { ...record, id: undefined, seq: undefined },
    {
      id: undefined,
      seq: undefined,
      occurredAt: '2025-02-03T04:05:06.789Z',
      service: 'patients',
      action: 'patient:read',
      entity: 'Patient',
      entityId: patientId,
      patientId,
      outcome: 'DENIED',
      reason: 'FORBIDDEN',
      userId: entry.userId,
      role: 'DOCTOR',
      cabinetId: entry.cabinetId,
      requestId: entry.requestId,
      clientAddress: '203.0.113.5',
    },
  );
});

test('the same source event delivered again is recorded once', async () => {
  const entry = entryOf();
  assert.equal(await service.record(entry), true);
  assert.equal(await service.record(entry), false);
  assert.equal(await service.record(structuredClone(entry)), false, 'a copy decoded from a redelivered message');
  assert.equal(await service.record({ ...entry, action: 'changed' }), false, 'the source event id decides');
  assert.equal(await storedCount(entry.sourceEventId), 1);
});

test('the same source event delivered twice at once is still recorded once', async () => {
  const entry = entryOf();
  const results = await Promise.all([service.record(entry), service.record(structuredClone(entry))]);
  assert.deepEqual(results.sort(), [false, true]);
  assert.equal(await storedCount(entry.sourceEventId), 1);
});

test('auditLog is for ADMIN only: practice staff, patients and anonymous callers are refused', async () => {
  const patientId = randomUUID();
  await service.record(entryOf({ patientId }));
  for (const role of ['DOCTOR', 'SECRETARY', 'PATIENT'] as const) {
    await assert.rejects(service.search(callerOf(role), { filter: { patientId } }), hasCode('FORBIDDEN'), role);
    await assert.rejects(
      service.search(callerOf(role, { patientId }), {}),
      hasCode('FORBIDDEN'),
      `${role}, even about their own file`,
    );
    await assert.rejects(service.search(callerOf(role), { limit: 0 }), hasCode('FORBIDDEN'), 'permission first');
  }
  await assert.rejects(service.search(anonymous, {}), hasCode('UNAUTHENTICATED'));
  assert.equal((await service.search(admin, { filter: { patientId } })).length, 1);
});

test('auditLog filters by patient, user, practice, action, outcome and period, newest first', async () => {
  const patientId = randomUUID();
  const otherPatient = randomUUID();
  const doctor = randomUUID();
  const secretary = randomUUID();
  const cabinetId = randomUUID();
  const base = { patientId, cabinetId };
  const a = entryOf({ ...base, userId: doctor, occurredAt: minutesAgo(50), action: 'patient:read' });
  const b = entryOf({
    ...base,
    userId: secretary,
    role: 'SECRETARY',
    occurredAt: minutesAgo(40),
    action: 'registerPatient',
  });
  const c = entryOf({ ...base, userId: doctor, occurredAt: minutesAgo(30), action: 'medicalRecord:write' });
  const d = entryOf({
    ...base,
    userId: secretary,
    role: 'SECRETARY',
    occurredAt: minutesAgo(20),
    action: 'medicalRecord:read',
    outcome: 'DENIED',
    reason: 'FORBIDDEN',
  });
  const e = entryOf({ patientId: otherPatient, cabinetId, userId: doctor, occurredAt: minutesAgo(10) });
  // Recorded out of order: the log is ordered by when things happened, not when they arrived.
  for (const entry of [c, a, e, d, b]) await service.record(entry);

  const requests = async (filter: Record<string, unknown>, extra: { limit?: number; offset?: number } = {}) =>
    (await service.search(admin, { filter, ...extra })).map((record) => record.requestId);

  assert.deepEqual(
    await requests({ patientId }),
    [d, c, b, a].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ cabinetId }),
    [e, d, c, b, a].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ userId: doctor }),
    [e, c, a].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ patientId, userId: secretary }),
    [d, b].map((x) => x.requestId),
  );
  assert.deepEqual(await requests({ cabinetId, action: 'medicalRecord:write' }), [c.requestId]);
  assert.deepEqual(await requests({ cabinetId, outcome: 'DENIED' }), [d.requestId]);
  assert.deepEqual(
    await requests({ cabinetId, outcome: 'ALLOWED' }),
    [e, c, b, a].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ cabinetId, from: minutesAgo(45).toISOString(), to: minutesAgo(15).toISOString() }),
    [d, c, b].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ cabinetId, from: c.occurredAt.toISOString(), to: d.occurredAt.toISOString() }),
    [d, c].map((x) => x.requestId),
    'both ends inclusive',
  );
  assert.deepEqual(
    await requests({ cabinetId, to: b.occurredAt.toISOString() }),
    [b, a].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ cabinetId, from: d.occurredAt.toISOString() }),
    [e, d].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ cabinetId }, { limit: 2 }),
    [e, d].map((x) => x.requestId),
  );
  assert.deepEqual(
    await requests({ cabinetId }, { limit: 2, offset: 2 }),
    [c, b].map((x) => x.requestId),
  );
  assert.deepEqual(await requests({ cabinetId }, { offset: 5 }), []);
  assert.deepEqual(await requests({ cabinetId: randomUUID() }), []);
  assert.deepEqual(await requests({ cabinetId, patientId: otherPatient }), [e.requestId]);
});

test('auditLog without a filter lists the newest records of the whole trail', async () => {
  const entry = entryOf({ occurredAt: new Date(Date.now() + 60 * 60_000) }); // the newest there is
  await service.record(entry);
  const records = await service.search(admin, { limit: 200 });
  assert.ok(records.length >= 1 && records.length <= 200);
  assert.equal(records[0]?.requestId, entry.requestId);
  const times = records.map((record) => Date.parse(record.occurredAt));
  assert.deepEqual(
    times,
    times.toSorted((x, y) => y - x),
    'newest first',
  );
  assert.equal((await service.search(admin, {})).length <= 50, true, 'at most 50 by default');
});

test('auditLog refuses bad limits, offsets, periods and outcomes', async () => {
  for (const limit of [0, -1, 201, 1.5]) {
    await assert.rejects(service.search(admin, { limit }), hasCode('BAD_USER_INPUT'), `limit ${limit}`);
  }
  for (const offset of [-1, 10_001, 0.5]) {
    await assert.rejects(service.search(admin, { offset }), hasCode('BAD_USER_INPUT'), `offset ${offset}`);
  }
  for (const from of ['yesterday', '2025-01-01', '2025-01-01T00:00:00', '']) {
    await assert.rejects(
      service.search(admin, { filter: { from } }),
      (error: unknown) => hasCode('BAD_USER_INPUT')(error) && (error as DomainError).details.field === 'filter.from',
      `from ${from}`,
    );
  }
  await assert.rejects(service.search(admin, { filter: { to: 'soon' } }), hasCode('BAD_USER_INPUT'));
  await assert.rejects(
    service.search(admin, { filter: { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' } }),
    hasCode('BAD_USER_INPUT'),
    'a period that ends before it starts',
  );
  await assert.rejects(service.search(admin, { filter: { outcome: 'MAYBE' } }), hasCode('BAD_USER_INPUT'));
  assert.deepEqual(await service.search(admin, { limit: 1, filter: { patientId: randomUUID() } }), []);
  assert.deepEqual(
    await service.search(admin, { limit: 200, offset: 10_000, filter: { patientId: randomUUID() } }),
    [],
  );
});

test("myRecordAccessLog shows a patient who accessed their record: others' allowed accesses, newest first", async () => {
  const patientId = randomUUID();
  const patient = callerOf('PATIENT', { patientId });
  const doctor = randomUUID();
  const secretary = randomUUID();
  const read = entryOf({ patientId, userId: doctor, role: 'DOCTOR', occurredAt: minutesAgo(30) });
  const registered = entryOf({
    patientId,
    userId: secretary,
    role: 'SECRETARY',
    service: 'patients',
    action: 'registerPatient',
    occurredAt: minutesAgo(60),
  });
  const written = entryOf({
    patientId,
    userId: doctor,
    service: 'records',
    action: 'medicalRecord:write',
    occurredAt: minutesAgo(10),
  });
  const denied = entryOf({
    patientId,
    userId: secretary,
    outcome: 'DENIED',
    reason: 'FORBIDDEN',
    occurredAt: minutesAgo(5),
  });
  const own = entryOf({
    patientId,
    userId: patient.identity?.userId ?? null,
    role: 'PATIENT',
    occurredAt: minutesAgo(3),
  });
  const system = entryOf({ patientId, userId: null, role: null, service: 'imports', occurredAt: minutesAgo(2) });
  const someoneElse = entryOf({ patientId: randomUUID(), userId: doctor, occurredAt: minutesAgo(1) });
  for (const entry of [read, registered, written, denied, own, system, someoneElse]) await service.record(entry);

  assert.deepEqual(await service.recordAccessLog(patient, {}), [
    { at: system.occurredAt.toISOString(), action: 'patient:read', role: null, userId: null, service: 'imports' },
    {
      at: written.occurredAt.toISOString(),
      action: 'medicalRecord:write',
      role: 'DOCTOR',
      userId: doctor,
      service: 'records',
    },
    { at: read.occurredAt.toISOString(), action: 'patient:read', role: 'DOCTOR', userId: doctor, service: 'patients' },
    {
      at: registered.occurredAt.toISOString(),
      action: 'registerPatient',
      role: 'SECRETARY',
      userId: secretary,
      service: 'patients',
    },
  ]);
  assert.deepEqual(
    (await service.recordAccessLog(patient, { limit: 2 })).map((access) => access.action),
    ['patient:read', 'medicalRecord:write'],
  );
  assert.deepEqual(
    await service.recordAccessLog(callerOf('PATIENT', { patientId: randomUUID() }), {}),
    [],
    'another patient sees none of it',
  );
});

test('myRecordAccessLog: a PATIENT account linked to no patient file sees nothing', async () => {
  assert.deepEqual(await service.recordAccessLog(callerOf('PATIENT'), {}), []);
  assert.deepEqual(await service.recordAccessLog(callerOf('PATIENT', { patientId: null }), {}), []);
});

test('myRecordAccessLog is for patients only: ADMIN and practice staff are refused', async () => {
  const patientId = randomUUID();
  await service.record(entryOf({ patientId }));
  for (const role of ['ADMIN', 'DOCTOR', 'SECRETARY'] as const) {
    await assert.rejects(
      service.recordAccessLog(callerOf(role, { patientId }), {}),
      hasCode('FORBIDDEN'),
      `${role}, even with a patient claim`,
    );
  }
  await assert.rejects(service.recordAccessLog(anonymous, {}), hasCode('UNAUTHENTICATED'));
});

test('myRecordAccessLog refuses a bad limit', async () => {
  const patient = callerOf('PATIENT', { patientId: randomUUID() });
  for (const limit of [0, 201, -3]) {
    await assert.rejects(service.recordAccessLog(patient, { limit }), hasCode('BAD_USER_INPUT'), `limit ${limit}`);
  }
  assert.deepEqual(await service.recordAccessLog(patient, { limit: 200 }), []);
});
