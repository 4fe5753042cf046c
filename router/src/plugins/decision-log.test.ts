import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '@cabinet/platform/kafka';
import { createLogger, type Logger } from '@cabinet/platform/logger';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { post, startTestSystem } from '../test-system.ts';
import {
  createDecisionLog,
  DECISION_TOPIC,
  type DecisionRecord,
  kafkaDecisionLog,
  type Refusal,
} from './decision-log.ts';

const BROKERS = ['127.0.0.1:9092'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A logger keeping its warnings, for the tests to read. */
function recordingLogger(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = {
    warn: (_: unknown, message: string) => warnings.push(message),
    info: () => undefined,
    debug: () => undefined,
    error: () => undefined,
  } as unknown as Logger;
  return { log, warnings };
}

const refusal = (n: number): Refusal => ({
  requestId: `request-${n}`,
  clientAddress: '127.0.0.1',
  subject: null,
  claims: {},
  reason: 'Authentication required',
  operationName: null,
  fields: [],
});

test('records are completed (id, time, decision) and sent in the background', async () => {
  const { log } = recordingLogger();
  const sent: DecisionRecord[] = [];
  const decisions = createDecisionLog({ log, send: async (records) => void sent.push(...records) });
  const before = Date.now();
  decisions.denied({ ...refusal(1), subject: 'user-1', claims: { role: 'X' }, fields: ['T.f'], operationName: 'Op' });
  await decisions.stop();
  assert.equal(sent.length, 1);
  const [record] = sent;
  assert.match(record?.id ?? '', UUID);
  assert.ok(Date.parse(record?.at ?? '') >= before - 1);
  assert.deepEqual(
    { ...record, id: undefined, at: undefined },
    {
      id: undefined,
      at: undefined,
      decision: 'DENIED',
      requestId: 'request-1',
      clientAddress: '127.0.0.1',
      subject: 'user-1',
      claims: { role: 'X' },
      reason: 'Authentication required',
      operationName: 'Op',
      fields: ['T.f'],
    },
  );
});

test('recording never waits on, nor fails with, the sink; failures are retried', async () => {
  const { log, warnings } = recordingLogger();
  let attempts = 0;
  const sent: string[] = [];
  const decisions = createDecisionLog({
    log,
    retryDelayMs: { initial: 10, max: 20 },
    send: async (records) => {
      attempts++;
      if (attempts <= 3) throw new Error('broker down');
      sent.push(...records.map((r) => r.requestId));
    },
  });
  const started = Date.now();
  for (let n = 0; n < 5; n++) decisions.denied(refusal(n));
  assert.ok(Date.now() - started < 50, 'denied() returns at once');
  for (let i = 0; i < 100 && sent.length < 5; i++) await sleep(10);
  assert.deepEqual(sent, ['request-0', 'request-1', 'request-2', 'request-3', 'request-4']);
  assert.ok(warnings.some((w) => /sending failed/.test(w)));
  await decisions.stop();
});

test('the buffer is bounded: the oldest records are dropped, with a warning', async () => {
  const { log, warnings } = recordingLogger();
  let open = false;
  const sent: string[] = [];
  const decisions = createDecisionLog({
    log,
    maxBuffered: 3,
    retryDelayMs: { initial: 5, max: 5 },
    send: async (records) => {
      if (!open) throw new Error('broker down');
      sent.push(...records.map((r) => r.requestId));
    },
  });
  for (let n = 0; n < 10; n++) decisions.denied(refusal(n));
  assert.ok(warnings.some((w) => /buffer full; oldest dropped/.test(w)));
  open = true;
  await decisions.stop();
  assert.deepEqual(sent, ['request-7', 'request-8', 'request-9']);
});

test('stop sends what is queued, and gives up after its timeout when the sink stays down', async () => {
  const { log, warnings } = recordingLogger();
  const decisions = createDecisionLog({
    log,
    flushTimeoutMs: 300,
    retryDelayMs: { initial: 20, max: 50 },
    send: async () => {
      throw new Error('broker down');
    },
  });
  decisions.denied(refusal(1));
  const started = Date.now();
  await decisions.stop();
  assert.ok(Date.now() - started < 1_500, `stopped in ${Date.now() - started} ms`);
  assert.ok(warnings.some((w) => /not sent before stop/.test(w)));
  decisions.denied(refusal(2)); // after stop: ignored, not thrown
});

test('a sink that hangs does not hold stop beyond its timeout', async () => {
  const { log } = recordingLogger();
  const decisions = createDecisionLog({ log, flushTimeoutMs: 200, send: () => new Promise(() => undefined) });
  decisions.denied(refusal(1));
  const started = Date.now();
  await decisions.stop();
  assert.ok(Date.now() - started < 1_000);
});

/** Reads a topic from the beginning until `count` records matching `wanted` arrived (or time runs out). */
async function consume(
  topic: string,
  wanted: (record: DecisionRecord) => boolean,
  count: number,
  timeoutMs = 30_000,
): Promise<{ key: string; record: DecisionRecord }[]> {
  const kafka = createKafka('router-decision-log-test', BROKERS, createLogger('test', 'silent'));
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const received: { key: string; record: DecisionRecord }[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  const timer = setTimeout(resolve, timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const record = JSON.parse(message.value?.toString() ?? '{}') as DecisionRecord;
        if (!wanted(record)) return;
        received.push({ key: message.key?.toString() ?? '', record });
        if (received.length >= count) resolve();
      },
    });
    await promise;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return received;
}

test('on Kafka: one JSON record per refusal, keyed by request id, on the prefixed topic', async () => {
  const prefix = `test-${randomUUID().slice(0, 8)}.`;
  const decisions = kafkaDecisionLog({ brokers: BROKERS, topicPrefix: prefix, log: createLogger('test', 'silent') });
  const requestId = randomUUID();
  decisions.denied({ ...refusal(0), requestId, fields: ['T.f'] });
  await decisions.stop();
  const [message] = await consume(`${prefix}${DECISION_TOPIC}`, (r) => r.requestId === requestId, 1);
  assert.equal(message?.key, requestId);
  assert.equal(message?.record.fields[0], 'T.f');
  assert.equal(message?.record.decision, 'DENIED');
});

test('through the router: 401s, refused fields, limits and refused WebSocket connections are on the log', async () => {
  const prefix = `test-${randomUUID().slice(0, 8)}.`;
  const system = await startTestSystem({
    DECISION_LOG_KAFKA_BROKERS: BROKERS.join(','),
    DECISION_LOG_TOPIC_PREFIX: prefix,
  });
  const ids: Record<string, string> = {};
  try {
    const anonymous = await post(system.url, 'query Mine { me { name } }', { operationName: 'Mine' });
    assert.equal(anonymous.status, 401);
    ids.anonymous = anonymous.headers.get('x-request-id') ?? '';
    const expired = await post(system.url, '{ open }', { token: 'a.b.c' });
    ids.badToken = expired.headers.get('x-request-id') ?? '';
    const partial = await post(system.url, 'query Who { me { name ssn } users { email } }', {
      token: await system.token(),
      operationName: 'Who',
    });
    assert.equal(partial.body.errors?.length, 2);
    ids.fields = partial.headers.get('x-request-id') ?? '';
    const deep = await post(system.url, `{ chain { ${'next { '.repeat(20)}value${' }'.repeat(20)} } }`, {
      token: await system.token(),
    });
    assert.equal(deep.status, 400);
    ids.limit = deep.headers.get('x-request-id') ?? '';
    const client = createClient({ url: system.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    await assert.rejects(async () => {
      for await (const _ of client.iterate({ query: 'subscription { reviewAdded { body } }' })) {
        // refused before any result
      }
    });
    await client.dispose();
  } finally {
    await system.stop(); // flushes the log
  }
  const records = await consume(
    `${prefix}${DECISION_TOPIC}`,
    (r) => Object.values(ids).includes(r.requestId) || r.reason === 'Unauthorized: authentication required',
    5,
  );
  const byId = (id: string | undefined) => records.find((r) => r.record.requestId === id);
  assert.deepEqual(
    { ...byId(ids.anonymous)?.record, id: undefined, at: undefined },
    {
      id: undefined,
      at: undefined,
      requestId: ids.anonymous,
      clientAddress: '127.0.0.1',
      subject: null,
      claims: {},
      decision: 'DENIED',
      reason: 'Authentication required',
      operationName: 'Mine',
      fields: [],
    },
  );
  assert.equal(byId(ids.anonymous)?.key, ids.anonymous, 'keyed by request id');
  assert.equal(byId(ids.badToken)?.record.reason, 'Access token rejected: malformed');
  const fields = byId(ids.fields)?.record;
  assert.equal(fields?.subject, 'subject-1');
  assert.deepEqual(fields?.claims, { role: 'ADMIN' });
  assert.equal(fields?.reason, 'Unauthorized field or type');
  assert.equal(fields?.operationName, 'Who');
  assert.deepEqual(fields?.fields, ['User.ssn', 'User.email']);
  assert.equal(byId(ids.limit)?.record.reason, 'Query depth 22 exceeds the maximum of 15');
  const socket = records.find((r) => r.record.reason === 'Unauthorized: authentication required');
  assert.ok(socket, 'the refused WebSocket connection');
  assert.deepEqual(socket.record.fields, []);
});
