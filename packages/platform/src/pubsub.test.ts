import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PubSub } from './pubsub.ts';

/** Resolves to the next value, or to 'pending' when none arrives within `ms`. */
async function nextOrPending<T>(iterator: AsyncIterator<T>, ms = 50): Promise<IteratorResult<T> | 'pending'> {
  return Promise.race([iterator.next(), sleep(ms).then(() => 'pending' as const)]);
}

test('a subscriber gets only the values it accepts, in order', async () => {
  const pubsub = new PubSub<number>();
  const even = pubsub.subscribe((value) => value % 2 === 0);
  for (const value of [1, 0, 2, 3, 4, 5, 6]) pubsub.publish(value);
  const received: number[] = [];
  for (let i = 0; i < 4; i++) {
    const result = await even.next();
    assert.equal(result.done, false);
    received.push(result.value);
  }
  assert.deepEqual(received, [0, 2, 4, 6]);
  assert.equal(await nextOrPending(even), 'pending', 'rejected values were not queued');
  await even.return?.();
});

test('a value published while a subscriber waits is delivered to it', async () => {
  const pubsub = new PubSub<string>();
  const iterator = pubsub.subscribe(() => true);
  const waiting = iterator.next();
  pubsub.publish('a');
  pubsub.publish('b');
  assert.deepEqual(await waiting, { value: 'a', done: false });
  assert.deepEqual(await iterator.next(), { value: 'b', done: false });
  await iterator.return?.();
});

test('each subscriber has its own filter and its own queue', async () => {
  const pubsub = new PubSub<{ cabinet: string; n: number }>();
  const a = pubsub.subscribe((value) => value.cabinet === 'A');
  const b = pubsub.subscribe((value) => value.cabinet === 'B');
  pubsub.publish({ cabinet: 'A', n: 1 });
  pubsub.publish({ cabinet: 'B', n: 2 });
  pubsub.publish({ cabinet: 'A', n: 3 });
  assert.deepEqual((await a.next()).value, { cabinet: 'A', n: 1 });
  assert.deepEqual((await a.next()).value, { cabinet: 'A', n: 3 });
  assert.deepEqual((await b.next()).value, { cabinet: 'B', n: 2 });
  assert.equal(await nextOrPending(b), 'pending');
  await a.return?.();
  await b.return?.();
});

test('return() ends a waiting next(), stops delivery and removes the listener', async () => {
  const pubsub = new PubSub<number>();
  const kept = pubsub.subscribe(() => true);
  const iterator = pubsub.subscribe(() => true);
  assert.equal(pubsub.subscriberCount, 2);
  const waiting = iterator.next();
  assert.deepEqual(await iterator.return?.(), { value: undefined, done: true });
  assert.deepEqual(await waiting, { value: undefined, done: true });
  assert.equal(pubsub.subscriberCount, 1);
  pubsub.publish(1);
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  assert.deepEqual(await kept.next(), { value: 1, done: false }, 'the other subscriber is unaffected');
  await kept.return?.();
  assert.equal(pubsub.subscriberCount, 0);
});

test('return() discards values queued but not yet read', async () => {
  const pubsub = new PubSub<number>();
  const iterator = pubsub.subscribe(() => true);
  pubsub.publish(1);
  pubsub.publish(2);
  await iterator.return?.();
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
});

test('throw() ends the subscription too', async () => {
  const pubsub = new PubSub<number>();
  const iterator = pubsub.subscribe(() => true);
  await assert.rejects(iterator.throw?.(new Error('client went away')) ?? Promise.resolve(), /client went away/);
  assert.equal(pubsub.subscriberCount, 0);
  pubsub.publish(1);
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
});

test('breaking out of for await unsubscribes', async () => {
  const pubsub = new PubSub<number>();
  const iterator = pubsub.subscribe(() => true);
  pubsub.publish(7);
  for await (const value of iterator) {
    assert.equal(value, 7);
    break;
  }
  assert.equal(pubsub.subscriberCount, 0);
});

test('a slow subscriber loses its oldest values beyond the queue limit', async () => {
  const pubsub = new PubSub<number>(3);
  const slow = pubsub.subscribe(() => true);
  for (let value = 1; value <= 6; value++) pubsub.publish(value);
  const received: number[] = [];
  for (let i = 0; i < 3; i++) received.push((await slow.next()).value);
  assert.deepEqual(received, [4, 5, 6]);
  const waiting = slow.next();
  assert.equal(await Promise.race([waiting, sleep(50).then(() => 'pending')]), 'pending', 'nothing else was queued');
  pubsub.publish(7);
  assert.deepEqual(await waiting, { value: 7, done: false });
  await slow.return?.();
});

test('values a subscriber rejects do not count against its queue limit', async () => {
  const pubsub = new PubSub<number>(2);
  const odd = pubsub.subscribe((value) => value % 2 === 1);
  for (const value of [1, 2, 4, 6, 8, 3]) pubsub.publish(value);
  assert.deepEqual((await odd.next()).value, 1);
  assert.deepEqual((await odd.next()).value, 3);
  await odd.return?.();
});
