import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queue, remainingMinutes } from './queue.ts';

const at = (time: string): Date => new Date(`2026-03-30T${time}:00Z`);

test('an empty waiting room has no places', () => {
  assert.deepEqual(queue([], null, at('09:00')), []);
});

test('positions follow arrival and waits add up the durations ahead', () => {
  const a = { id: 'a', arrivedAt: at('09:05'), durationMinutes: 15 };
  const b = { id: 'b', arrivedAt: at('09:01'), durationMinutes: 30 };
  const c = { id: 'c', arrivedAt: at('09:10'), durationMinutes: 20 };
  const places = queue([a, b, c], null, at('09:15'));
  assert.deepEqual(
    places.map((p) => [p.entry.id, p.position, p.estimatedWaitMinutes]),
    [
      ['b', 1, 0],
      ['a', 2, 30],
      ['c', 3, 45],
    ],
  );
});

test('the remaining time of the consultation going on is added to every wait', () => {
  const ongoing = { startedAt: at('09:00'), durationMinutes: 30 };
  const places = queue(
    [
      { arrivedAt: at('09:02'), durationMinutes: 15 },
      { arrivedAt: at('09:03'), durationMinutes: 15 },
    ],
    ongoing,
    at('09:10'),
  );
  assert.deepEqual(
    places.map((p) => p.estimatedWaitMinutes),
    [20, 35],
  );
});

test('remaining minutes round up and never go below zero', () => {
  assert.equal(remainingMinutes(null, at('09:00')), 0);
  assert.equal(
    remainingMinutes({ startedAt: at('09:00'), durationMinutes: 15 }, new Date(at('09:00').getTime() + 30_000)),
    15,
  );
  assert.equal(remainingMinutes({ startedAt: at('09:00'), durationMinutes: 15 }, at('09:40')), 0);
});

test('simultaneous arrivals keep the order given', () => {
  const places = queue(
    [
      { id: 1, arrivedAt: at('09:00'), durationMinutes: 10 },
      { id: 2, arrivedAt: at('09:00'), durationMinutes: 10 },
    ],
    null,
    at('09:00'),
  );
  assert.deepEqual(
    places.map((p) => p.entry.id),
    [1, 2],
  );
});
