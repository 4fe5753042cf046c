// Integration: the real PostgreSQL test database of the notifications subgraph.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Auditor } from '@cabinet/platform/audit';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError } from '@cabinet/platform/errors';
import { type EventEnvelope, envelope, PATIENT_REGISTERED, type PatientRegistered } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { migrations } from './persistence/migrations.ts';
import { Notification, NotificationRead } from './persistence/notification.entity.ts';
import { NotificationsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_notifications`;

let orm: MikroORM;
let service: NotificationsService;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities: [Notification, NotificationRead, OutboxEvent], migrations });
  // Audit records go to the outbox of this test's own topic; no relay publishes them here.
  const auditor = new Auditor({
    service: 'notifications',
    orm,
    topic: `test-${randomUUID()}.audit`,
    onRecorded: () => undefined,
  });
  service = new NotificationsService(orm, createLogger('test', 'silent'), auditor);
});

after(async () => {
  await orm?.close(true);
});

const callerOf = (role: Role, cabinetId: string | null): Caller => ({
  requestId: randomUUID(),
  clientAddress: null,
  identity: { userId: randomUUID(), role, cabinetId },
});
const anonymous: Caller = { requestId: randomUUID(), clientAddress: null, identity: null };

function registered(cabinetId: string, displayName = 'Jane DOE'): EventEnvelope<PatientRegistered> {
  const registrar = callerOf('SECRETARY', cabinetId);
  return envelope('patients', PATIENT_REGISTERED, cabinetId, registrar, {
    patientId: randomUUID(),
    cabinetId,
    displayName,
    birthDate: '1980-01-01',
  });
}

interface NotificationRow {
  id: string;
  cabinet_id: string;
  audience: string;
  recipient_user_id: string | null;
  kind: string;
  title: string;
  body: string;
  patient_id: string | null;
}

const rowsFor = (eventId: string): Promise<NotificationRow[]> =>
  sql<NotificationRow>(
    orm.em.fork(),
    'select id, cabinet_id, audience, recipient_user_id, kind, title, body, patient_id from notification where source_event_id = ?',
    [eventId],
  );

const hasCode = (code: string) => (error: unknown) => error instanceof DomainError && error.code === code;

/** The next value, or 'pending' when none arrives within `ms`. Leaves the next() waiting. */
const nextOrPending = <T>(iterator: AsyncIterator<T>, ms = 150): Promise<IteratorResult<T> | 'pending'> =>
  Promise.race([iterator.next(), sleep(ms).then(() => 'pending' as const)]);

test('a PatientRegistered event creates one staff notification of that practice', async () => {
  const cabinetId = randomUUID();
  const event = registered(cabinetId, 'Ada LOVELACE');
  assert.equal(await service.handleEvent(event), 1);
  const rows = await rowsFor(event.id);
  assert.equal(rows.length, 1);
  assert.deepEqual(
    { ...rows[0], id: undefined },
    {
      id: undefined,
      cabinet_id: cabinetId,
      audience: 'STAFF',
      recipient_user_id: null,
      kind: 'PATIENT_REGISTERED',
      title: 'New patient',
      body: 'Ada LOVELACE was registered.',
      patient_id: event.data.patientId,
    },
  );
});

test('the same event delivered again creates nothing more', async () => {
  const event = registered(randomUUID());
  assert.equal(await service.handleEvent(event), 1);
  assert.equal(await service.handleEvent(event), 0);
  assert.equal(await service.handleEvent(structuredClone(event)), 0, 'a copy decoded from a redelivered message');
  assert.equal((await rowsFor(event.id)).length, 1);
});

test('the same event delivered twice at once still creates exactly one notification', async () => {
  const event = registered(randomUUID());
  const counts = await Promise.all([service.handleEvent(event), service.handleEvent(structuredClone(event))]);
  assert.deepEqual(counts.sort(), [0, 1]);
  assert.equal((await rowsFor(event.id)).length, 1);
});

test('an event of a type nobody is notified about creates nothing', async () => {
  const cabinetId = randomUUID();
  const event = envelope('patients', 'patients.PatientArchived.v1', cabinetId, null, {
    patientId: randomUUID(),
    cabinetId,
  });
  assert.equal(await service.handleEvent(event), 0);
  assert.equal((await rowsFor(event.id)).length, 0);
  assert.equal(await service.unreadCount(callerOf('DOCTOR', cabinetId)), 0);
});

test('live subscribers get the notifications of their practice only', async () => {
  const cabinetA = randomUUID();
  const cabinetB = randomUUID();
  const doctorA = service.subscribe(callerOf('DOCTOR', cabinetA));
  const secretaryB = service.subscribe(callerOf('SECRETARY', cabinetB));
  const patientA = service.subscribe(callerOf('PATIENT', cabinetA));
  try {
    const forA = registered(cabinetA, 'Alice A');
    const forB = registered(cabinetB, 'Bob B');
    assert.equal(await service.handleEvent(forA), 1);
    assert.equal(await service.handleEvent(forB), 1);

    const receivedByA = await doctorA.next();
    assert.equal(receivedByA.done, false);
    assert.equal(receivedByA.value.sourceEventId, forA.id);
    assert.equal(service.present(receivedByA.value).body, 'Alice A was registered.');

    const receivedByB = await secretaryB.next();
    assert.equal(receivedByB.value.sourceEventId, forB.id, "B's first notification is B's own, not A's");
    assert.equal(await nextOrPending(secretaryB), 'pending');
    assert.equal(await nextOrPending(doctorA), 'pending', "A never gets B's");
    assert.equal(await nextOrPending(patientA), 'pending', 'staff notifications are not for patients');
  } finally {
    await doctorA.return?.();
    await secretaryB.return?.();
    await patientA.return?.();
  }
});

test('a redelivered event is not pushed to live subscribers again', async () => {
  const cabinetId = randomUUID();
  const live = service.subscribe(callerOf('DOCTOR', cabinetId));
  try {
    const event = registered(cabinetId);
    await service.handleEvent(event);
    assert.equal((await live.next()).value?.sourceEventId, event.id);
    await service.handleEvent(event);
    assert.equal(await nextOrPending(live), 'pending');
  } finally {
    await live.return?.();
  }
});

test('subscribing requires an identity', () => {
  assert.throws(() => service.subscribe(anonymous), hasCode('UNAUTHENTICATED'));
});

test('mine() lists the practice staff notifications, newest first, unread', async () => {
  const cabinetId = randomUUID();
  const first = registered(cabinetId, 'First PATIENT');
  const second = registered(cabinetId, 'Second PATIENT');
  await service.handleEvent(first);
  await sleep(5);
  await service.handleEvent(second);
  await service.handleEvent(registered(randomUUID(), 'Elsewhere PATIENT'));

  const doctor = callerOf('DOCTOR', cabinetId);
  const mine = await service.mine(doctor, {});
  assert.deepEqual(
    mine.map((n) => [n.body, n.read, n.kind, n.patient?.id]),
    [
      ['Second PATIENT was registered.', false, 'PATIENT_REGISTERED', second.data.patientId],
      ['First PATIENT was registered.', false, 'PATIENT_REGISTERED', first.data.patientId],
    ],
  );
  assert.ok(!Number.isNaN(Date.parse(mine[0]?.createdAt ?? '')));
  assert.equal((await service.mine(doctor, { limit: 1 })).length, 1);
  assert.deepEqual(
    await service.mine(callerOf('PATIENT', cabinetId), {}),
    [],
    'patients do not see staff notifications',
  );
  assert.deepEqual(await service.mine(callerOf('DOCTOR', randomUUID()), {}), [], 'another practice sees none of them');
  assert.deepEqual(await service.mine(callerOf('DOCTOR', null), {}), [], 'an account outside any practice sees none');
});

test('mine() refuses a bad limit and an anonymous caller', async () => {
  const doctor = callerOf('DOCTOR', randomUUID());
  for (const limit of [0, -1, 101]) {
    await assert.rejects(service.mine(doctor, { limit }), hasCode('BAD_USER_INPUT'), `limit ${limit}`);
  }
  await assert.rejects(service.mine(anonymous, {}), hasCode('UNAUTHENTICATED'));
  await assert.rejects(service.unreadCount(anonymous), hasCode('UNAUTHENTICATED'));
  await assert.rejects(service.markRead(anonymous, randomUUID()), hasCode('UNAUTHENTICATED'));
});

test('markRead marks for the reader only; unreadCount and unreadOnly follow', async () => {
  const cabinetId = randomUUID();
  const first = registered(cabinetId);
  const second = registered(cabinetId);
  await service.handleEvent(first);
  await service.handleEvent(second);
  const doctor = callerOf('DOCTOR', cabinetId);
  const colleague = callerOf('SECRETARY', cabinetId);
  assert.equal(await service.unreadCount(doctor), 2);

  const [target] = (await rowsFor(first.id)).map((row) => row.id);
  assert.ok(target);
  const marked = await service.markRead(doctor, target);
  assert.equal(marked.id, target);
  assert.equal(marked.read, true);
  assert.equal(await service.unreadCount(doctor), 1);
  assert.deepEqual(
    (await service.mine(doctor, { unreadOnly: true })).map((n) => n.patient?.id),
    [second.data.patientId],
  );
  const all = await service.mine(doctor, {});
  assert.deepEqual(
    all.map((n) => [n.id === target, n.read]),
    [
      [false, false],
      [true, true],
    ],
  );

  await service.markRead(doctor, target);
  assert.equal(await service.unreadCount(doctor), 1, 'marking twice is harmless');
  assert.equal(await service.unreadCount(colleague), 2, 'reads are per user');
  assert.equal((await service.mine(colleague, { unreadOnly: true })).length, 2);
});

test("markRead on another practice's notification, or an unknown id, is NOT_FOUND", async () => {
  const cabinetId = randomUUID();
  const event = registered(cabinetId);
  await service.handleEvent(event);
  const [id] = (await rowsFor(event.id)).map((row) => row.id);
  assert.ok(id);

  const outsider = callerOf('DOCTOR', randomUUID());
  await assert.rejects(service.markRead(outsider, id), hasCode('NOT_FOUND'));
  await assert.rejects(service.markRead(callerOf('PATIENT', cabinetId), id), hasCode('NOT_FOUND'));
  await assert.rejects(service.markRead(callerOf('DOCTOR', cabinetId), randomUUID()), hasCode('NOT_FOUND'));
  await assert.rejects(service.markRead(callerOf('DOCTOR', cabinetId), 'not-a-uuid'), hasCode('NOT_FOUND'));

  const [reads] = await sql<{ n: number }>(
    orm.em.fork(),
    'select count(*)::int as n from notification_read where notification_id = ?',
    [id],
  );
  assert.equal(reads?.n, 0, 'the refused attempts recorded nothing');
  assert.equal(await service.unreadCount(callerOf('DOCTOR', cabinetId)), 1);
});

test('a platform ADMIN reads no practice notifications (need to know)', async () => {
  const admin = callerOf('ADMIN', randomUUID());
  await assert.rejects(
    service.mine(admin, {}),
    (error: unknown) => error instanceof DomainError && error.code === 'FORBIDDEN',
  );
  assert.throws(
    () => service.subscribe(admin),
    (error: unknown) => error instanceof DomainError && error.code === 'FORBIDDEN',
  );
});
