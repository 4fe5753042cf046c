// Integration, end to end within the subgraph: the real audit service (its own Kafka consumer on
// topics of this run only, the shared audit test database, HTTP), fed through the real broker and
// queried as the router would query it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CALLER_HEADER, signCallerToken } from '@cabinet/platform/caller-token';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { ACCESS_AUDITED, type AccessAudited, type EventEnvelope, envelope } from '@cabinet/platform/events';
import type { Caller } from '@cabinet/platform/identity';
import { createKafka, ensureTopics } from '@cabinet/platform/kafka';
import { createLogger } from '@cabinet/platform/logger';
import type { RunningServer } from '@cabinet/platform/subgraph';
import type { Producer } from 'kafkajs';
import { loadAuditConfig } from './config.ts';
import { auditTopics, ROUTER_DECISIONS_TOPIC } from './consumer.ts';
import type { RouterDecision } from './domain/entry.ts';
import { AuditRecord } from './persistence/audit-record.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { startAuditService } from './server.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_audit`;
const BROKERS = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
const ROUTER_SECRET = `test-router-secret-${randomUUID()}`;
/** This run's own topics and consumer group: nobody else publishes to them or reads them. */
const PREFIX = `test-${randomUUID().slice(0, 8)}.`;
const topics = auditTopics(PREFIX);

const kafka = createKafka('audit-test', BROKERS.split(','), createLogger('audit-test', 'silent'));
let producer: Producer;
let server: RunningServer;
let orm: MikroORM;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities: [AuditRecord], migrations });
  await ensureTopics(kafka, [topics.accessAudited, topics.routerDecisions]);
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  server = await startAuditService(
    loadAuditConfig({
      DATABASE_URL,
      ROUTER_SECRET,
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_PREFIX: PREFIX,
      KAFKA_GROUP_ID: `audit-test-${randomUUID()}`,
      PORT: '0',
      LOG_LEVEL: 'silent',
      AUDIT_PURGE_INTERVAL_MINUTES: '0',
    }),
  );
});

after(async () => {
  await server?.stop();
  await producer?.disconnect();
  await orm?.close(true);
});

/** One key for everything this run sends: one partition per topic, so messages stay in order. */
const KEY = randomUUID();

async function send(topic: string, ...values: unknown[]): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: values.map((value) => ({
      key: KEY,
      value: typeof value === 'string' ? value : JSON.stringify(value),
    })),
  });
}

const storedCount = async (sourceEventId: string): Promise<number> =>
  (
    await sql<{ n: number }>(orm.em.fork(), 'select count(*)::int as n from audit_record where source_event_id = ?', [
      sourceEventId,
    ])
  )[0]?.n ?? -1;

async function waitUntilStored(sourceEventId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await storedCount(sourceEventId)) === 0) {
    if (Date.now() > deadline) assert.fail(`event ${sourceEventId} was not recorded within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const callerOf = (role: string, patientId: string | null = null): Caller => ({
  requestId: randomUUID(),
  clientAddress: '198.51.100.20',
  identity: { userId: randomUUID(), role: role as 'DOCTOR', cabinetId: randomUUID(), patientId },
});

function accessAudited(caller: Caller, patientId: string, action = 'patient:read'): EventEnvelope<AccessAudited> {
  const identity = caller.identity;
  return envelope<AccessAudited>('patients', ACCESS_AUDITED, identity?.cabinetId ?? null, caller, {
    service: 'patients',
    action,
    entity: 'Patient',
    entityId: patientId,
    patientId,
    outcome: 'ALLOWED',
    reason: null,
    userId: identity?.userId ?? null,
    role: identity?.role ?? null,
    cabinetId: identity?.cabinetId ?? null,
    requestId: caller.requestId,
    clientAddress: caller.clientAddress,
  });
}

const routerDecision = (overrides: Partial<RouterDecision> = {}): RouterDecision => ({
  id: randomUUID(),
  at: new Date().toISOString(),
  requestId: randomUUID(),
  clientAddress: '192.0.2.44',
  subject: randomUUID(),
  claims: { role: 'SECRETARY', cabinet: randomUUID() },
  decision: 'DENIED',
  reason: 'FORBIDDEN',
  operationName: 'ClinicalNotes',
  fields: ['Query.medicalRecord'],
  ...overrides,
});

interface GraphQLResult {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Queries the subgraph as the router does: with a caller token for `claims`, or none. */
async function query(
  document: string,
  variables: Record<string, unknown>,
  caller: { subject: string | null; claims: Record<string, unknown> } | null,
): Promise<GraphQLResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (caller) {
    headers[CALLER_HEADER] = await signCallerToken(ROUTER_SECRET, {
      ...caller,
      requestId: randomUUID(),
      clientAddress: '127.0.0.1',
    });
  }
  const response = await fetch(server.url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: document, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResult, 'status'>) };
}

const AUDIT_LOG = `query AuditLog($filter: AuditFilter, $limit: Int) {
  auditLog(filter: $filter, limit: $limit) {
    id seq occurredAt service action entity entityId patientId outcome reason userId role cabinetId requestId clientAddress
  }
}`;
const MY_ACCESS_LOG = 'query Mine { myRecordAccessLog { at action role userId service } }';
const asAdmin = { subject: randomUUID(), claims: { role: 'ADMIN' } };

test('the consumer records AccessAudited events and router decisions from their topics', async () => {
  const patientId = randomUUID();
  const doctor = callerOf('DOCTOR');
  const event = accessAudited(doctor, patientId);
  const decision = routerDecision();
  await send(topics.accessAudited, event);
  await send(topics.routerDecisions, decision);
  await waitUntilStored(event.id);
  await waitUntilStored(decision.id);

  const byPatient = await query(AUDIT_LOG, { filter: { patientId } }, asAdmin);
  assert.equal(byPatient.status, 200);
  assert.deepEqual(byPatient.errors, undefined);
  const [record] = (byPatient.data?.auditLog ?? []) as Record<string, unknown>[];
  assert.deepEqual(
    { ...record, id: undefined, seq: undefined },
    {
      id: undefined,
      seq: undefined,
      occurredAt: event.occurredAt,
      service: 'patients',
      action: 'patient:read',
      entity: 'Patient',
      entityId: patientId,
      patientId,
      outcome: 'ALLOWED',
      reason: null,
      userId: doctor.identity?.userId,
      role: 'DOCTOR',
      cabinetId: doctor.identity?.cabinetId,
      requestId: doctor.requestId,
      clientAddress: '198.51.100.20',
    },
  );

  const byUser = await query(AUDIT_LOG, { filter: { userId: decision.subject } }, asAdmin);
  const [refused] = (byUser.data?.auditLog ?? []) as Record<string, unknown>[];
  assert.deepEqual(
    { ...refused, id: undefined, seq: undefined },
    {
      id: undefined,
      seq: undefined,
      occurredAt: decision.at,
      service: 'router',
      action: 'request',
      entity: 'Operation',
      entityId: 'ClinicalNotes',
      patientId: null,
      outcome: 'DENIED',
      reason: 'FORBIDDEN',
      userId: decision.subject,
      role: 'SECRETARY',
      cabinetId: decision.claims.cabinet,
      requestId: decision.requestId,
      clientAddress: '192.0.2.44',
    },
  );
});

test('a message delivered twice is recorded once, and a malformed one is skipped without blocking', async () => {
  const event = accessAudited(callerOf('SECRETARY'), randomUUID());
  const decision = routerDecision({ subject: null, claims: {}, reason: 'UNAUTHENTICATED' });
  await send(topics.accessAudited, event);
  await send(topics.routerDecisions, decision);
  await waitUntilStored(event.id);
  await waitUntilStored(decision.id);

  // Redelivered, then garbage, then a sentinel behind them on the same partition: once the
  // sentinel is recorded, the messages before it were handled.
  const sentinelEvent = accessAudited(callerOf('DOCTOR'), randomUUID());
  const sentinelDecision = routerDecision();
  await send(
    topics.accessAudited,
    event,
    'not json {',
    { ...event, id: 'not-a-uuid' },
    { ...event, id: randomUUID(), type: 'patients.PatientRegistered.v1' },
    sentinelEvent,
  );
  await send(
    topics.routerDecisions,
    decision,
    { ...decision, id: randomUUID(), decision: 'ALLOWED' },
    sentinelDecision,
  );
  await waitUntilStored(sentinelEvent.id);
  await waitUntilStored(sentinelDecision.id);

  assert.equal(await storedCount(event.id), 1);
  assert.equal(await storedCount(decision.id), 1);
});

test('a patient reads who accessed their record, through GraphQL', async () => {
  const patientId = randomUUID();
  const doctor = callerOf('DOCTOR');
  const event = accessAudited(doctor, patientId, 'medicalRecord:read');
  await send(topics.accessAudited, event);
  await waitUntilStored(event.id);

  const mine = await query(
    MY_ACCESS_LOG,
    {},
    { subject: randomUUID(), claims: { role: 'PATIENT', patient: patientId } },
  );
  assert.deepEqual(mine.errors, undefined);
  assert.deepEqual(mine.data?.myRecordAccessLog, [
    {
      at: event.occurredAt,
      action: 'medicalRecord:read',
      role: 'DOCTOR',
      userId: doctor.identity?.userId,
      service: 'patients',
    },
  ]);
  const unlinked = await query(MY_ACCESS_LOG, {}, { subject: randomUUID(), claims: { role: 'PATIENT' } });
  assert.deepEqual(unlinked.data?.myRecordAccessLog, []);
});

test('through GraphQL, refusals carry their code: FORBIDDEN, UNAUTHENTICATED, BAD_USER_INPUT', async () => {
  const codeOf = (result: GraphQLResult) => result.errors?.[0]?.extensions?.code;
  for (const role of ['DOCTOR', 'SECRETARY', 'PATIENT']) {
    const result = await query(AUDIT_LOG, {}, { subject: randomUUID(), claims: { role, cabinet: randomUUID() } });
    assert.equal(codeOf(result), 'FORBIDDEN', role);
    assert.equal(result.data, null);
  }
  for (const role of ['ADMIN', 'DOCTOR', 'SECRETARY']) {
    const result = await query(MY_ACCESS_LOG, {}, { subject: randomUUID(), claims: { role, patient: randomUUID() } });
    assert.equal(codeOf(result), 'FORBIDDEN', role);
  }
  assert.equal(codeOf(await query(AUDIT_LOG, {}, { subject: null, claims: {} })), 'UNAUTHENTICATED');
  assert.equal(codeOf(await query(MY_ACCESS_LOG, {}, { subject: null, claims: {} })), 'UNAUTHENTICATED');
  assert.equal(codeOf(await query(AUDIT_LOG, { limit: 500 }, asAdmin)), 'BAD_USER_INPUT');
  assert.equal(codeOf(await query(AUDIT_LOG, { filter: { from: 'last week' } }, asAdmin)), 'BAD_USER_INPUT');
  assert.equal(codeOf(await query(AUDIT_LOG, { filter: { outcome: 'MAYBE' } }, asAdmin)), 'BAD_USER_INPUT');
  const direct = await query(AUDIT_LOG, {}, null);
  assert.equal(direct.status, 401, 'only the router may call a subgraph');
});

test('the router decisions topic name is exported for the router to publish to', () => {
  assert.equal(ROUTER_DECISIONS_TOPIC, 'cabinet.router-decisions.v1');
  assert.equal(topics.routerDecisions, `${PREFIX}cabinet.router-decisions.v1`);
  assert.equal(topics.accessAudited, `${PREFIX}cabinet.audit.v1`);
});
