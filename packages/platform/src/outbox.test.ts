// Integration: the real PostgreSQL test database of the patients subgraph and the real Kafka broker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { migrations } from '../../../subgraphs/patients/src/persistence/migrations.ts';
import { Patient } from '../../../subgraphs/patients/src/persistence/patient.entity.ts';
import { type EntityManager, type MikroORM, openDatabase, sql } from './database.ts';
import { type EventEnvelope, envelope, PATIENT_REGISTERED, type PatientRegistered } from './events.ts';
import { createKafka, ReconnectingProducer } from './kafka.ts';
import { createLogger } from './logger.ts';
import { OutboxEvent, OutboxRelay, recordEvent } from './outbox.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_patients`;
const BROKERS = (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`).split(',');

const log = createLogger('outbox-test', 'silent');
/** This run's own topic: nobody else publishes to it or reads from it. */
const topic = `test.outbox.${randomUUID()}`;
const kafka = createKafka('outbox-test', BROKERS, log);
const producer = new ReconnectingProducer(kafka, [topic]);
const cabinetId = randomUUID();
const mine: string[] = [];

let orm: MikroORM;
const consumers: Consumer[] = [];

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities: [Patient, OutboxEvent], migrations });
});

after(async () => {
  // An unpublished row naming this run's topic would stall any relay sharing the database.
  if (mine.length > 0) {
    await sql(orm.em.fork(), 'delete from outbox_event where id in (?) and published_at is null', [mine]);
  }
  for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
  await producer.close();
  await orm?.close(true);
});

/** Raw SQL returns timestamps as text. */
interface OutboxRow {
  id: string;
  published_at: string | null;
  attempts: number;
}

const outboxRow = async (id: string): Promise<OutboxRow | undefined> =>
  (await sql<OutboxRow>(orm.em.fork(), 'select id, published_at, attempts from outbox_event where id = ?', [id]))[0];
const patientCount = async (id: string): Promise<number> =>
  (await sql<{ n: number }>(orm.em.fork(), 'select count(*)::int as n from patient where id = ?', [id]))[0]?.n ?? -1;

/**
 * The relays below publish one row per batch, the oldest pending first. Dating this test's events
 * before every other pending row makes the batch this test's own, so rows other runs left behind
 * are neither published to shared topics nor counted as failed here.
 */
async function beforeAnyPending(): Promise<string> {
  const [row] = await sql<{ oldest: string | null }>(
    orm.em.fork(),
    'select min(occurred_at) as oldest from outbox_event where published_at is null',
  );
  const oldest = row?.oldest ? new Date(row.oldest).getTime() : Date.now();
  return new Date(oldest - 60_000).toISOString();
}

/** A patient registration, as the patients service writes it: the patient and its event together. */
async function registration(): Promise<{ patientId: string; event: EventEnvelope<PatientRegistered> }> {
  const patientId = randomUUID();
  const event = envelope<PatientRegistered>('patients', PATIENT_REGISTERED, cabinetId, null, {
    patientId,
    cabinetId,
    displayName: 'Ada LOVELACE',
    birthDate: '1815-12-10',
  });
  event.occurredAt = await beforeAnyPending();
  mine.push(event.id);
  return { patientId, event };
}

function writePatientAndEvent(em: EntityManager, patientId: string, event: EventEnvelope): void {
  em.create(Patient, {
    id: patientId,
    cabinetId,
    firstName: 'Ada',
    lastName: 'Lovelace',
    birthDate: '1815-12-10',
    sex: 'FEMALE',
    phone: null,
    email: null,
    createdAt: new Date(),
    createdBy: randomUUID(),
  });
  recordEvent(em, topic, patientId, event);
}

/** Reads this run's topic from the beginning until the given events arrived (or time runs out). */
async function consume(eventIds: string[], timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const received: KafkaMessage[] = [];
  const consumer = kafka.consumer({
    groupId: `test-outbox-${randomUUID()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  consumers.push(consumer);
  const { promise, resolve } = Promise.withResolvers<void>();
  const timer = setTimeout(resolve, timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!eventIds.includes(message.headers?.['event-id']?.toString() ?? '')) return;
        received.push(message);
        if (received.length >= eventIds.length) resolve();
      },
    });
    await promise;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return received;
}

test('an event recorded in a transaction that fails is not stored, nor is the write it announced', async () => {
  const { patientId, event } = await registration();
  await assert.rejects(
    orm.em.fork().transactional(async (em) => {
      writePatientAndEvent(em, patientId, event);
      await em.flush();
      const [inside] = await sql<{ n: number }>(em, 'select count(*)::int as n from outbox_event where id = ?', [
        event.id,
      ]);
      assert.equal(inside?.n, 1, 'the event was written inside the transaction');
      throw new Error('a later step of the use case failed');
    }),
    /a later step of the use case failed/,
  );
  assert.equal(await outboxRow(event.id), undefined);
  assert.equal(await patientCount(patientId), 0);
});

test('a committed event is published to Kafka by the relay and marked published', async () => {
  const { patientId, event } = await registration();
  await orm.em.fork().transactional(async (em) => writePatientAndEvent(em, patientId, event));
  assert.equal(await patientCount(patientId), 1);
  const stored = await outboxRow(event.id);
  assert.equal(stored?.published_at, null, 'pending until the relay runs');
  assert.equal(stored?.attempts, 0);

  const relay = new OutboxRelay({ orm, producer, log, batchSize: 1 });
  assert.equal(await relay.publishBatch(), 1);

  const published = await outboxRow(event.id);
  assert.ok(published?.published_at, 'published_at is set');
  assert.ok(Math.abs(new Date(published.published_at).getTime() - Date.now()) < 60_000, published.published_at);
  assert.equal(published.attempts, 0);

  const [message, ...others] = await consume([event.id]);
  assert.ok(message, 'the event reached the broker');
  assert.equal(others.length, 0);
  assert.equal(message.key?.toString(), patientId);
  assert.deepEqual(JSON.parse(message.value?.toString() ?? 'null'), event);
  assert.equal(message.headers?.['event-id']?.toString(), event.id);
  assert.equal(message.headers?.['event-type']?.toString(), PATIENT_REGISTERED);
});

test('when the broker is unreachable the batch fails, the event stays pending and its attempts are counted', async () => {
  const { patientId, event } = await registration();
  await orm.em.fork().transactional(async (em) => writePatientAndEvent(em, patientId, event));

  const unreachable = new ReconnectingProducer(createKafka('outbox-test-down', ['127.0.0.1:1'], log), [topic]);
  const down = new OutboxRelay({ orm, producer: unreachable, log, batchSize: 1 });
  try {
    await assert.rejects(down.publishBatch());
    const afterOne = await outboxRow(event.id);
    assert.equal(afterOne?.published_at, null);
    assert.equal(afterOne?.attempts, 1);

    await assert.rejects(down.publishBatch());
    assert.equal((await outboxRow(event.id))?.attempts, 2);
  } finally {
    await unreachable.close();
  }

  // Nothing was lost: once the broker is reachable, the same event goes out.
  const up = new OutboxRelay({ orm, producer, log, batchSize: 1 });
  assert.equal(await up.publishBatch(), 1);
  const published = await outboxRow(event.id);
  assert.ok(published?.published_at, 'published_at is set');
  assert.equal(published.attempts, 2);
});

test('a batch of several events is published in the order they occurred, and all are marked published', async () => {
  const { patientId, event: first } = await registration();
  const second = envelope('patients', 'patients.PatientUpdated.v1', cabinetId, null, { patientId, cabinetId });
  second.occurredAt = new Date(new Date(first.occurredAt).getTime() + 1).toISOString();
  mine.push(second.id);
  await orm.em.fork().transactional(async (em) => {
    writePatientAndEvent(em, patientId, first);
    recordEvent(em, topic, patientId, second);
  });

  const relay = new OutboxRelay({ orm, producer, log, batchSize: 2 });
  assert.equal(await relay.publishBatch(), 2);
  for (const id of [first.id, second.id]) assert.ok((await outboxRow(id))?.published_at, `${id} is marked published`);

  const messages = await consume([first.id, second.id]);
  assert.deepEqual(
    messages.map((message) => message.headers?.['event-type']?.toString()),
    [PATIENT_REGISTERED, 'patients.PatientUpdated.v1'],
    'one key, one partition, in order',
  );
  assert.ok(messages.every((message) => message.key?.toString() === patientId));
});
