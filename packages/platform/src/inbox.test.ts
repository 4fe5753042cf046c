// Integration: the real PostgreSQL test database of the notifications subgraph.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { migrations } from '../../../subgraphs/notifications/src/persistence/migrations.ts';
import {
  Notification,
  NotificationRead,
} from '../../../subgraphs/notifications/src/persistence/notification.entity.ts';
import { type MikroORM, openDatabase, sql } from './database.ts';
import { claimEvent } from './inbox.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_notifications`;

let orm: MikroORM;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities: [Notification, NotificationRead], migrations });
});

after(async () => {
  await orm?.close(true);
});

/** A consumer name of this run only, so nothing another run stored can interfere. */
const consumerName = (label: string): string => `test-${label}-${randomUUID()}`;

const claims = async (consumer: string, eventId: string): Promise<number> =>
  (
    await sql<{ n: number }>(
      orm.em.fork(),
      'select count(*)::int as n from processed_event where consumer = ? and event_id = ?',
      [consumer, eventId],
    )
  )[0]?.n ?? -1;

test('an event is claimed once per consumer: true the first time, false afterwards', async () => {
  const consumer = consumerName('once');
  const eventId = randomUUID();
  assert.equal(await orm.em.fork().transactional((em) => claimEvent(em, consumer, eventId)), true);
  assert.equal(await orm.em.fork().transactional((em) => claimEvent(em, consumer, eventId)), false);
  assert.equal(await claimEvent(orm.em.fork(), consumer, eventId), false, 'outside a transaction too');
  assert.equal(await claims(consumer, eventId), 1);
});

test('a second claim in the same transaction is refused as well', async () => {
  const consumer = consumerName('same-tx');
  const eventId = randomUUID();
  const [first, second] = await orm.em
    .fork()
    .transactional(async (em) => [await claimEvent(em, consumer, eventId), await claimEvent(em, consumer, eventId)]);
  assert.deepEqual([first, second], [true, false]);
});

test('another consumer may claim the same event, and another event is a new claim', async () => {
  const consumer = consumerName('a');
  const other = consumerName('b');
  const eventId = randomUUID();
  assert.equal(await claimEvent(orm.em.fork(), consumer, eventId), true);
  assert.equal(await claimEvent(orm.em.fork(), other, eventId), true);
  assert.equal(await claimEvent(orm.em.fork(), consumer, randomUUID()), true);
  assert.equal(await claimEvent(orm.em.fork(), other, eventId), false);
});

test('a claim made in a transaction that rolls back does not stick', async () => {
  const consumer = consumerName('rollback');
  const eventId = randomUUID();
  await assert.rejects(
    orm.em.fork().transactional(async (em) => {
      assert.equal(await claimEvent(em, consumer, eventId), true);
      throw new Error('handling the event failed');
    }),
    /handling the event failed/,
  );
  assert.equal(await claims(consumer, eventId), 0);
  assert.equal(
    await orm.em.fork().transactional((em) => claimEvent(em, consumer, eventId)),
    true,
    'the retry may claim it',
  );
  assert.equal(await claims(consumer, eventId), 1);
});

test('two deliveries handled at once: the second waits for the first and, once it commits, finds the event taken', async () => {
  const consumer = consumerName('race');
  const eventId = randomUUID();
  const claimed = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const first = orm.em.fork().transactional(async (em) => {
    const won = await claimEvent(em, consumer, eventId);
    claimed.resolve();
    await release.promise;
    return won;
  });
  await claimed.promise;
  let secondSettled = false;
  const second = orm.em
    .fork()
    .transactional((em) => claimEvent(em, consumer, eventId))
    .finally(() => {
      secondSettled = true;
    });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(secondSettled, false, 'the second claim waits on the first, uncommitted one');
  release.resolve();
  assert.deepEqual(await Promise.all([first, second]), [true, false]);
});

test('when the first of two concurrent deliveries rolls back, the second one gets the claim', async () => {
  const consumer = consumerName('race-rollback');
  const eventId = randomUUID();
  const claimed = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  const first = orm.em.fork().transactional(async (em) => {
    assert.equal(await claimEvent(em, consumer, eventId), true);
    claimed.resolve();
    await release.promise;
    throw new Error('crashed mid-handling');
  });
  await claimed.promise;
  const second = orm.em.fork().transactional((em) => claimEvent(em, consumer, eventId));
  await new Promise((resolve) => setTimeout(resolve, 100));
  release.resolve();
  await assert.rejects(first, /crashed mid-handling/);
  assert.equal(await second, true);
  assert.equal(await claims(consumer, eventId), 1);
});
