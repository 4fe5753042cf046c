import { badUserInput } from '@cabinet/platform/errors';
import { addDays, isoWeekday, isTimeZone, localDateOf, parseLocalDate, parseLocalTime, zonedToUtc } from './time.ts';

/** Days of the week, ISO order (1 = MONDAY). */
export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const weekdayNumber = (weekday: Weekday): number => WEEKDAYS.indexOf(weekday) + 1;

export const DURATION_MIN = 5;
export const DURATION_MAX = 240;
export const LABEL_MAX_LENGTH = 100;
export const REASON_MAX_LENGTH = 500;
/** The longest range `availableSlots` computes at once. */
export const SLOT_RANGE_MAX_DAYS = 31;
/** The longest range an agenda listing covers at once. */
export const LIST_RANGE_MAX_DAYS = 92;

const MINUTE = 60_000;
const DAY = 86_400_000;
const CONTROL = /\p{Cc}/u;
const length = (value: string): number => [...value].length;
/** An instant with an explicit offset: `2026-03-30T09:00:00+02:00`, `2026-03-30T07:00Z`. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An interval of time, start included, end excluded. */
export interface Interval {
  start: Date;
  end: Date;
}

export interface AppointmentTypeInput {
  label: string;
  durationMinutes: number;
  selfBookable?: boolean | null;
}

export interface AppointmentTypeEntry {
  label: string;
  durationMinutes: number;
  selfBookable: boolean;
}

/** One weekly opening of a practitioner, in the practice's local time. */
export interface WeeklyRuleInput {
  weekday: Weekday;
  startTime: string;
  endTime: string;
}

export interface WeeklyRule {
  /** 1 = Monday ... 7 = Sunday. */
  weekday: number;
  startTime: string;
  endTime: string;
}

export interface ExceptionInput {
  startDate: string;
  endDate: string;
  reason?: string | null;
}

export interface ExceptionEntry {
  startDate: string;
  endDate: string;
  reason: string | null;
}

function text(value: string | null | undefined, field: string, max: number, required: boolean): string | null {
  const cleaned = value?.normalize('NFC').trim().replace(/\s+/g, ' ') ?? '';
  if (cleaned.length === 0) {
    if (required) throw badUserInput(`${field} must not be empty`, field);
    return null;
  }
  if (length(cleaned) > max) throw badUserInput(`${field} must be at most ${max} characters`, field);
  if (CONTROL.test(cleaned)) throw badUserInput(`${field} contains control characters`, field);
  return cleaned;
}

export function validateAppointmentType(input: AppointmentTypeInput): AppointmentTypeEntry {
  const duration = input.durationMinutes;
  if (!Number.isInteger(duration) || duration < DURATION_MIN || duration > DURATION_MAX) {
    throw badUserInput(
      `durationMinutes must be a whole number of minutes from ${DURATION_MIN} to ${DURATION_MAX}`,
      'durationMinutes',
    );
  }
  return {
    label: text(input.label, 'label', LABEL_MAX_LENGTH, true) as string,
    durationMinutes: duration,
    selfBookable: input.selfBookable ?? false,
  };
}

export function validateTimeZone(timeZone: string): string {
  if (!isTimeZone(timeZone)) {
    throw badUserInput('timeZone must be an IANA time zone, e.g. Europe/Paris', 'timeZone');
  }
  return timeZone;
}

/**
 * Validates a practitioner's whole week: times `HH:MM` (an end may be `24:00`), each opening
 * starting before it ends, and no two openings of one day overlapping. Sorted by day and time.
 */
export function validateWeeklyRules(rules: readonly WeeklyRuleInput[]): WeeklyRule[] {
  const valid = rules.map((rule, index): WeeklyRule & { from: number; to: number } => {
    const field = `rules[${index}]`;
    if (!WEEKDAYS.includes(rule.weekday)) throw badUserInput(`${field}.weekday is not a day of the week`, field);
    const from = parseLocalTime(rule.startTime);
    const to = parseLocalTime(rule.endTime);
    if (from === null || from === 24 * 60) throw badUserInput(`${field}.startTime must be HH:MM`, field);
    if (to === null) throw badUserInput(`${field}.endTime must be HH:MM`, field);
    if (to <= from) throw badUserInput(`${field} must start before it ends`, field);
    return { weekday: weekdayNumber(rule.weekday), startTime: rule.startTime, endTime: rule.endTime, from, to };
  });
  valid.sort((a, b) => a.weekday - b.weekday || a.from - b.from);
  for (let i = 1; i < valid.length; i++) {
    const [previous, current] = [valid[i - 1], valid[i]];
    if (previous && current && previous.weekday === current.weekday && current.from < previous.to) {
      throw badUserInput(
        `Openings on ${WEEKDAYS[current.weekday - 1]} overlap (${previous.startTime}–${previous.endTime} and ${current.startTime}–${current.endTime})`,
        'rules',
      );
    }
  }
  return valid.map(({ weekday, startTime, endTime }) => ({ weekday, startTime, endTime }));
}

export function validateException(input: ExceptionInput): ExceptionEntry {
  if (!parseLocalDate(input.startDate)) throw badUserInput('startDate must be a real date, YYYY-MM-DD', 'startDate');
  if (!parseLocalDate(input.endDate)) throw badUserInput('endDate must be a real date, YYYY-MM-DD', 'endDate');
  if (input.endDate < input.startDate) throw badUserInput('endDate cannot be before startDate', 'endDate');
  if (addDays(input.startDate, 366) <= input.endDate) {
    throw badUserInput('An exception covers at most a year', 'endDate');
  }
  return {
    startDate: input.startDate,
    endDate: input.endDate,
    reason: text(input.reason, 'reason', REASON_MAX_LENGTH, false),
  };
}

export function validateCancellationReason(reason: string): string {
  return text(reason, 'reason', REASON_MAX_LENGTH, true) as string;
}

/** An ISO 8601 instant with an explicit offset (a local time without zone is ambiguous). */
export function parseInstant(value: string, field: string): Date {
  const parsed = INSTANT.test(value) ? new Date(value) : null;
  if (!parsed || Number.isNaN(parsed.getTime())) {
    throw badUserInput(`${field} must be an ISO 8601 date-time with its offset, e.g. 2026-03-30T09:00:00+02:00`, field);
  }
  return parsed;
}

/** A range `from`..`to` of at most `maxDays` days. */
export function parseRange(from: string, to: string, maxDays: number): Interval {
  const range = { start: parseInstant(from, 'from'), end: parseInstant(to, 'to') };
  if (range.end <= range.start) throw badUserInput('to must be after from', 'to');
  if (range.end.getTime() - range.start.getTime() > maxDays * DAY) {
    throw badUserInput(`The range covers at most ${maxDays} days`, 'to');
  }
  return range;
}

const overlaps = (a: Interval, b: Interval): boolean => a.start < b.end && b.start < a.end;
const inException = (date: string, exceptions: readonly ExceptionEntry[]): boolean =>
  exceptions.some((exception) => exception.startDate <= date && date <= exception.endDate);

/**
 * The practitioner's opening hours in `range`, as instants: each weekly rule on each local day it
 * applies to, converted in the practice's zone (so 09:00 stays 09:00 across a DST change), minus
 * the days of exceptions. Not clipped to `range`; sorted.
 */
export function openings(
  rules: readonly WeeklyRule[],
  exceptions: readonly ExceptionEntry[],
  timeZone: string,
  range: Interval,
): Interval[] {
  const result: Interval[] = [];
  const last = addDays(localDateOf(range.end, timeZone), 1);
  for (let date = addDays(localDateOf(range.start, timeZone), -1); date <= last; date = addDays(date, 1)) {
    if (inException(date, exceptions)) continue;
    const weekday = isoWeekday(date);
    for (const rule of rules) {
      if (rule.weekday !== weekday) continue;
      const opening = {
        start: zonedToUtc(date, rule.startTime, timeZone),
        end: zonedToUtc(date, rule.endTime, timeZone),
      };
      if (opening.end > opening.start && overlaps(opening, range)) result.push(opening);
    }
  }
  return result.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/**
 * Free slots of `durationMinutes`: consecutive from the start of each opening, kept when they
 * fit in the opening, lie in `range`, do not start before `now`, and overlap no `busy` interval.
 */
export function freeSlots(
  openingHours: readonly Interval[],
  busy: readonly Interval[],
  durationMinutes: number,
  range: Interval,
  now: Date,
): Interval[] {
  const slots: Interval[] = [];
  const step = durationMinutes * MINUTE;
  for (const opening of openingHours) {
    for (let start = opening.start.getTime(); start + step <= opening.end.getTime(); start += step) {
      const slot = { start: new Date(start), end: new Date(start + step) };
      if (slot.start < range.start || slot.end > range.end || slot.start < now) continue;
      if (busy.some((interval) => overlaps(interval, slot))) continue;
      slots.push(slot);
    }
  }
  return slots;
}

/**
 * Refuses, with a readable BAD_USER_INPUT, an appointment in the past or not wholly within one
 * opening (outside the hours, or on a day of leave or closure).
 */
export function assertBookable(
  appointment: Interval,
  rules: readonly WeeklyRule[],
  exceptions: readonly ExceptionEntry[],
  timeZone: string,
  now: Date,
): void {
  if (appointment.start < now) throw badUserInput('An appointment cannot start in the past', 'startsAt');
  const day = localDateOf(appointment.start, timeZone);
  if (inException(day, exceptions)) {
    throw badUserInput(`The practitioner is not available on ${day} (leave or closure)`, 'startsAt');
  }
  const fits = openings(rules, [], timeZone, appointment).some(
    (opening) => opening.start <= appointment.start && appointment.end <= opening.end,
  );
  if (!fits) throw badUserInput("This time is outside the practitioner's opening hours", 'startsAt');
}
