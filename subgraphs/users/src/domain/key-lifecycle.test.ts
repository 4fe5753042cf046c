import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  activationTime,
  applyChanges,
  canStartRotation,
  isPublished,
  type LifecycleSettings,
  planRing,
  type RingKey,
  unpublishTime,
} from './key-lifecycle.ts';

const settings: LifecycleSettings = {
  publicationDelaySeconds: 10,
  accessTokenTtlSeconds: 300,
  rotationIntervalSeconds: 30 * 86400,
  retirementMarginSeconds: 60,
};
const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

const current = (kid = 'k1', since = T0): RingKey => ({
  kid,
  status: 'current',
  createdAt: since,
  activatesAt: since,
  activatedAt: since,
  retiredAt: null,
  unpublishAt: null,
});
const next = (kid = 'k2', createdAt = at(100)): RingKey => ({
  kid,
  status: 'next',
  createdAt,
  activatesAt: activationTime(createdAt, settings),
  activatedAt: null,
  retiredAt: null,
  unpublishAt: null,
});

test('a new key is published first, and signs only after the publication delay', () => {
  const ring = [current(), next()];
  assert.deepEqual(planRing(ring, at(109), settings), { changes: [], rotate: false });
  assert.equal(isPublished(next(), at(100)), true);
  assert.equal(canStartRotation(ring), false, 'one rotation at a time');
  assert.equal(canStartRotation([current()]), true);
});

test('at the end of the delay the next key takes over and the current one retires', () => {
  const plan = planRing([current(), next()], at(110), settings);
  assert.deepEqual(plan, {
    changes: [
      { kid: 'k1', to: 'retired', retiredAt: at(110), unpublishAt: at(110 + 300 + 60) },
      { kid: 'k2', to: 'current', activatedAt: at(110) },
    ],
    rotate: false,
  });
  const ring = applyChanges([current(), next()], plan.changes);
  assert.deepEqual(
    ring.map((key) => [key.kid, key.status]),
    [
      ['k1', 'retired'],
      ['k2', 'current'],
    ],
  );
  assert.deepEqual(planRing(ring, at(111), settings), { changes: [], rotate: false }, 'nothing more is due');
});

test('a retired key stays published until every token it signed has expired', () => {
  const retired: RingKey = {
    ...current(),
    status: 'retired',
    retiredAt: at(110),
    unpublishAt: unpublishTime(at(110), settings),
  };
  assert.deepEqual(unpublishTime(at(110), settings), at(470));
  assert.equal(isPublished(retired, at(469)), true);
  assert.equal(isPublished(retired, at(470)), false);
  assert.deepEqual(planRing([retired, current('k2', at(110))], at(469), settings).changes, []);
  assert.deepEqual(planRing([retired, current('k2', at(110))], at(470), settings).changes, [
    { kid: 'k1', to: 'expired' },
  ]);
  assert.equal(isPublished({ ...retired, status: 'expired' }, at(100)), false);
});

test('a waiting key with nothing signing takes over at once', () => {
  assert.deepEqual(planRing([next('k9', at(0))], at(1), settings).changes, [
    { kid: 'k9', to: 'current', activatedAt: at(1) },
  ]);
});

test('automatic rotation starts a new key when the current one has signed for the period', () => {
  const period = settings.rotationIntervalSeconds;
  assert.equal(planRing([current()], at(period - 1), settings).rotate, false);
  assert.equal(planRing([current()], at(period), settings).rotate, true);
  assert.equal(
    planRing([current(), next('k2', at(period))], at(period + 1), settings).rotate,
    false,
    'already under way',
  );
  assert.equal(planRing([current()], at(period * 10), { ...settings, rotationIntervalSeconds: 0 }).rotate, false);
  // The key that just took over is young: no second rotation behind it.
  assert.equal(planRing([current(), next('k2', at(period))], at(period + 10), settings).rotate, false);
});

test('an empty ring plans nothing (it is seeded at start-up)', () => {
  assert.deepEqual(planRing([], T0, settings), { changes: [], rotate: false });
});
