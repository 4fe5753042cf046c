import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addDays,
  isoWeekday,
  isTimeZone,
  localDateOf,
  offsetMinutes,
  parseLocalDate,
  parseLocalTime,
  zonedToUtc,
} from './time.ts';

const PARIS = 'Europe/Paris';
const iso = (date: Date) => date.toISOString();

test('local wall times in Paris convert to UTC on either side of the change (winter +01:00, summer +02:00)', () => {
  assert.equal(iso(zonedToUtc('2026-03-28', '09:00', PARIS)), '2026-03-28T08:00:00.000Z');
  assert.equal(iso(zonedToUtc('2026-03-29', '09:00', PARIS)), '2026-03-29T07:00:00.000Z', 'the day of the change');
  assert.equal(iso(zonedToUtc('2026-03-30', '09:00', PARIS)), '2026-03-30T07:00:00.000Z');
  assert.equal(iso(zonedToUtc('2026-10-24', '09:00', PARIS)), '2026-10-24T07:00:00.000Z');
  assert.equal(iso(zonedToUtc('2026-10-25', '09:00', PARIS)), '2026-10-25T08:00:00.000Z', 'the day of the change');
  assert.equal(iso(zonedToUtc('2026-10-26', '00:00', PARIS)), '2026-10-25T23:00:00.000Z');
});

test('a wall time skipped in spring moves forward by the gap; one repeated in autumn is its first occurrence', () => {
  // 2026-03-29: 02:00 → 03:00 in Paris; 02:30 does not exist.
  assert.equal(iso(zonedToUtc('2026-03-29', '02:30', PARIS)), '2026-03-29T01:30:00.000Z');
  assert.equal(localDateOf(zonedToUtc('2026-03-29', '02:30', PARIS), PARIS), '2026-03-29');
  // 2026-10-25: 03:00 → 02:00; 02:30 happens at 00:30Z (summer time) and 01:30Z (winter time).
  assert.equal(iso(zonedToUtc('2026-10-25', '02:30', PARIS)), '2026-10-25T00:30:00.000Z');
  assert.equal(iso(zonedToUtc('2026-10-25', '03:00', PARIS)), '2026-10-25T02:00:00.000Z');
});

test('a working day across a change lasts its real length', () => {
  const start = zonedToUtc('2026-03-29', '00:00', PARIS);
  const end = zonedToUtc('2026-03-30', '00:00', PARIS);
  assert.equal((end.getTime() - start.getTime()) / 3_600_000, 23);
  const autumn =
    zonedToUtc('2026-10-26', '00:00', PARIS).getTime() - zonedToUtc('2026-10-25', '00:00', PARIS).getTime();
  assert.equal(autumn / 3_600_000, 25);
  assert.equal(
    zonedToUtc('2026-03-29', '18:00', PARIS).getTime() - zonedToUtc('2026-03-29', '08:00', PARIS).getTime(),
    10 * 3_600_000,
  );
});

test('other zones: UTC, a negative offset with its own change date, a zone without changes', () => {
  assert.equal(iso(zonedToUtc('2026-07-01', '12:00', 'UTC')), '2026-07-01T12:00:00.000Z');
  assert.equal(iso(zonedToUtc('2026-03-08', '09:00', 'America/New_York')), '2026-03-08T13:00:00.000Z');
  assert.equal(iso(zonedToUtc('2026-03-07', '09:00', 'America/New_York')), '2026-03-07T14:00:00.000Z');
  assert.equal(iso(zonedToUtc('2026-06-01', '08:30', 'Indian/Reunion')), '2026-06-01T04:30:00.000Z');
});

test('offsets, local dates, weekdays and calendar arithmetic', () => {
  assert.equal(offsetMinutes(new Date('2026-01-15T12:00:00Z'), PARIS), 60);
  assert.equal(offsetMinutes(new Date('2026-07-15T12:00:00Z'), PARIS), 120);
  assert.equal(localDateOf(new Date('2026-07-15T22:30:00Z'), PARIS), '2026-07-16');
  assert.equal(isoWeekday('2026-03-29'), 7);
  assert.equal(isoWeekday('2026-03-30'), 1);
  assert.equal(addDays('2026-02-28', 1), '2026-03-01');
  assert.equal(addDays('2026-01-01', -1), '2025-12-31');
});

test('validation of zones, dates and times', () => {
  assert.ok(isTimeZone('Europe/Paris'));
  assert.ok(isTimeZone('UTC'));
  assert.ok(!isTimeZone('Europe/Atlantis'));
  assert.ok(!isTimeZone('+02:00'));
  assert.deepEqual(parseLocalDate('2028-02-29'), { year: 2028, month: 2, day: 29 });
  assert.equal(parseLocalDate('2026-02-29'), null);
  assert.equal(parseLocalDate('29/02/2028'), null);
  assert.equal(parseLocalTime('09:05'), 545);
  assert.equal(parseLocalTime('24:00'), 1440);
  assert.equal(parseLocalTime('9:05'), null);
  assert.equal(parseLocalTime('24:30'), null);
  assert.throws(() => zonedToUtc('2026-02-30', '09:00', PARIS), RangeError);
});
