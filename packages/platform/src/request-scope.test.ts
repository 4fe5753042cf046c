import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentRequestId, inRequest } from './request-scope.ts';

test('what a request starts knows the request: awaits, timers, immediates; nothing outside it does', async () => {
  assert.equal(currentRequestId(), null);
  const seen = await inRequest('req-1', async () => {
    const ids: (string | null)[] = [currentRequestId()];
    await sleep(1);
    ids.push(currentRequestId());
    ids.push(await new Promise<string | null>((resolve) => setImmediate(() => resolve(currentRequestId()))));
    return ids;
  });
  assert.deepEqual(seen, ['req-1', 'req-1', 'req-1']);
  const [a, b] = await Promise.all([
    inRequest('a', async () => {
      await sleep(5);
      return currentRequestId();
    }),
    inRequest('b', async () => currentRequestId()),
  ]);
  assert.deepEqual([a, b], ['a', 'b']);
  assert.equal(currentRequestId(), null);
});
