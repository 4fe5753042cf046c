import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchLoader, perRequest } from './batch-loader.ts';

function recording(
  answer: (keys: readonly string[]) => Map<string, string> = (keys) => new Map(keys.map((k) => [k, k.toUpperCase()])),
) {
  const batches: string[][] = [];
  const loader = new BatchLoader<string, string>(
    async (keys) => {
      batches.push([...keys]);
      await sleep(1);
      return answer(keys);
    },
    (key) => `missing ${key}`,
  );
  return { loader, batches };
}

test('loads made in the same turn, and after awaiting settled promises, go out as one batch', async () => {
  const { loader, batches } = recording();
  const first = loader.load('a');
  const second = Promise.resolve().then(() => loader.load('b'));
  const third = (async () => {
    await null;
    await null;
    return loader.load('c');
  })();
  assert.deepEqual(await Promise.all([first, second, third]), ['A', 'B', 'C']);
  assert.deepEqual(batches, [['a', 'b', 'c']]);
});

test('a key loaded twice is asked once, and cached for the loader’s life', async () => {
  const { loader, batches } = recording();
  assert.deepEqual(await Promise.all([loader.load('a'), loader.load('a')]), ['A', 'A']);
  assert.equal(await loader.load('a'), 'A');
  assert.equal(await loader.load('b'), 'B');
  assert.deepEqual(batches, [['a'], ['b']]);
});

test('a key the batch leaves out gets the missing value', async () => {
  const { loader } = recording(() => new Map([['a', 'A']]));
  assert.deepEqual(await Promise.all([loader.load('a'), loader.load('z')]), ['A', 'missing z']);
});

test('a failing batch rejects each of its loads, and is not cached', async () => {
  let fail = true;
  const loader = new BatchLoader<string, string>(
    async (keys) => {
      if (fail) throw new Error('refused');
      return new Map(keys.map((key) => [key, key]));
    },
    () => '',
  );
  const results = await Promise.allSettled([loader.load('a'), loader.load('b')]);
  assert.deepEqual(
    results.map((result) => result.status === 'rejected' && (result.reason as Error).message),
    ['refused', 'refused'],
  );
  fail = false;
  assert.equal(await loader.load('a'), 'a');
});

test('perRequest gives one value per context object', () => {
  let created = 0;
  const of = perRequest((_context: object) => ++created);
  const one = {};
  const two = {};
  assert.equal(of(one), 1);
  assert.equal(of(one), 1);
  assert.equal(of(two), 2);
});
