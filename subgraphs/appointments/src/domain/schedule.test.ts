import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import {
  assertBookable,
  freeSlots,
  type Interval,
  openings,
  parseInstant,
  parseRange,
  validateAppointmentType,
  validateException,
  validateTimeZone,
  validateWeeklyRules,
} from './schedule.ts';

const PARIS = 'Europe/Paris';
const at = (iso: string) => new Date(iso);
const range = (from: string, to: string): Interval => ({ start: at(from), end: at(to) });
const show = (slots: Interval[]) => slots.map((slot) => `${slot.start.toISOString()}/${slot.end.toISOString()}`);
const badInput = (field?: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && (!field || error.details.field === field);

// Sunday mornings and Monday mornings, around the spring change in Paris (Sunday 2026-03-29).
const RULES = validateWeeklyRules([
  { weekday: 'MONDAY', startTime: '09:00', endTime: '10:00' },
  { weekday: 'SUNDAY', startTime: '09:00', endTime: '10:00' },
]);
const LONG_AGO = at('2000-01-01T00:00:00Z');

test('slots follow local opening hours across the spring DST change', () => {
  const week = range('2026-03-22T00:00:00Z', '2026-03-31T00:00:00Z');
  const slots = freeSlots(openings(RULES, [], PARIS, week), [], 30, week, LONG_AGO);
  assert.deepEqual(show(slots), [
    '2026-03-22T08:00:00.000Z/2026-03-22T08:30:00.000Z', // Sunday, winter time: 09:00 = 08:00Z
    '2026-03-22T08:30:00.000Z/2026-03-22T09:00:00.000Z',
    '2026-03-23T08:00:00.000Z/2026-03-23T08:30:00.000Z',
    '2026-03-23T08:30:00.000Z/2026-03-23T09:00:00.000Z',
    '2026-03-29T07:00:00.000Z/2026-03-29T07:30:00.000Z', // the day of the change: 09:00 = 07:00Z
    '2026-03-29T07:30:00.000Z/2026-03-29T08:00:00.000Z',
    '2026-03-30T07:00:00.000Z/2026-03-30T07:30:00.000Z',
    '2026-03-30T07:30:00.000Z/2026-03-30T08:00:00.000Z',
  ]);
});

test('slots leave out busy times, exception days, the past, and what does not fit', () => {
  const week = range('2026-03-22T00:00:00Z', '2026-03-31T00:00:00Z');
  const exceptions = [validateException({ startDate: '2026-03-23', endDate: '2026-03-29', reason: 'Congés' })];
  const busy = [range('2026-03-30T07:10:00Z', '2026-03-30T07:20:00Z')];
  const slots = freeSlots(openings(RULES, exceptions, PARIS, week), busy, 25, week, at('2026-03-22T08:10:00Z'));
  assert.deepEqual(show(slots), [
    // Sunday 22: 09:00 started before now; 09:25-09:50 fits; 09:50 would end after 10:00.
    '2026-03-22T08:25:00.000Z/2026-03-22T08:50:00.000Z',
    // Monday 23 to Sunday 29: leave. Monday 30: 09:00-09:25 is busy.
    '2026-03-30T07:25:00.000Z/2026-03-30T07:50:00.000Z',
  ]);
});

test('slots stay within the requested range', () => {
  const narrow = range('2026-03-30T07:20:00Z', '2026-03-30T08:00:00Z');
  assert.deepEqual(show(freeSlots(openings(RULES, [], PARIS, narrow), [], 20, narrow, LONG_AGO)), [
    '2026-03-30T07:20:00.000Z/2026-03-30T07:40:00.000Z',
    '2026-03-30T07:40:00.000Z/2026-03-30T08:00:00.000Z',
  ]);
});

test('a booking must lie within an opening, not on an exception day, not in the past', () => {
  const now = at('2026-03-01T00:00:00Z');
  const ok = range('2026-03-30T07:15:00Z', '2026-03-30T07:45:00Z');
  assert.doesNotThrow(() => assertBookable(ok, RULES, [], PARIS, now));
  assert.throws(() => assertBookable(range('2026-03-30T07:45:00Z', '2026-03-30T08:15:00Z'), RULES, [], PARIS, now), {
    message: "This time is outside the practitioner's opening hours",
  });
  // 09:00 winter time on the Monday after the change is 08:00Z: an hour too late in summer time.
  assert.throws(() => assertBookable(range('2026-03-30T08:00:00Z', '2026-03-30T08:30:00Z'), RULES, [], PARIS, now));
  assert.throws(
    () => assertBookable(ok, RULES, [{ startDate: '2026-03-30', endDate: '2026-03-30', reason: null }], PARIS, now),
    { message: 'The practitioner is not available on 2026-03-30 (leave or closure)' },
  );
  assert.throws(() => assertBookable(ok, RULES, [], PARIS, at('2026-03-30T07:16:00Z')), {
    message: 'An appointment cannot start in the past',
  });
});

test('weekly rules are validated, sorted, and may not overlap within a day', () => {
  assert.deepEqual(
    validateWeeklyRules([
      { weekday: 'TUESDAY', startTime: '14:00', endTime: '24:00' },
      { weekday: 'TUESDAY', startTime: '08:00', endTime: '12:00' },
    ]),
    [
      { weekday: 2, startTime: '08:00', endTime: '12:00' },
      { weekday: 2, startTime: '14:00', endTime: '24:00' },
    ],
  );
  assert.throws(
    () =>
      validateWeeklyRules([
        { weekday: 'TUESDAY', startTime: '08:00', endTime: '12:00' },
        { weekday: 'TUESDAY', startTime: '11:30', endTime: '13:00' },
      ]),
    { message: 'Openings on TUESDAY overlap (08:00–12:00 and 11:30–13:00)' },
  );
  assert.throws(() => validateWeeklyRules([{ weekday: 'MONDAY', startTime: '10:00', endTime: '10:00' }]), badInput());
  assert.throws(() => validateWeeklyRules([{ weekday: 'MONDAY', startTime: '9h', endTime: '10:00' }]), badInput());
});

test('appointment types: 5 to 240 whole minutes, a label', () => {
  assert.deepEqual(validateAppointmentType({ label: '  Consultation  ', durationMinutes: 20 }), {
    label: 'Consultation',
    durationMinutes: 20,
    selfBookable: false,
  });
  for (const durationMinutes of [4, 241, 12.5]) {
    assert.throws(() => validateAppointmentType({ label: 'x', durationMinutes }), badInput('durationMinutes'));
  }
  assert.throws(() => validateAppointmentType({ label: ' ', durationMinutes: 20 }), badInput('label'));
});

test('zones, exceptions, instants and ranges', () => {
  assert.equal(validateTimeZone(PARIS), PARIS);
  assert.throws(() => validateTimeZone('Paris'), badInput('timeZone'));
  assert.throws(() => validateException({ startDate: '2026-04-02', endDate: '2026-04-01' }), badInput('endDate'));
  assert.throws(() => validateException({ startDate: '2026-02-30', endDate: '2026-04-01' }), badInput('startDate'));
  assert.equal(parseInstant('2026-03-30T09:00:00+02:00', 'startsAt').toISOString(), '2026-03-30T07:00:00.000Z');
  assert.throws(() => parseInstant('2026-03-30T09:00:00', 'startsAt'), badInput('startsAt'));
  assert.throws(() => parseRange('2026-03-01T00:00Z', '2026-04-02T00:00Z', 31), badInput('to'));
  assert.throws(() => parseRange('2026-03-02T00:00Z', '2026-03-01T00:00Z', 31), badInput('to'));
  assert.ok(parseRange('2026-03-01T00:00Z', '2026-04-01T00:00Z', 31));
});
