import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reminderDueAt } from './reminder.ts';

const now = new Date('2026-11-25T10:00:00Z');

test('a reminder is due the lead time before the appointment', () => {
  assert.deepEqual(reminderDueAt(new Date('2026-11-27T09:00:00Z'), 24 * 60, now), new Date('2026-11-26T09:00:00Z'));
});

test('an appointment made after its reminder would have been due gets none', () => {
  assert.equal(reminderDueAt(new Date('2026-11-26T09:00:00Z'), 24 * 60, now), null);
  assert.equal(reminderDueAt(new Date('2026-11-26T10:00:00Z'), 24 * 60, now), null);
});
