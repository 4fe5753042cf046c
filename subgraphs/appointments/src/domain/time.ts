/**
 * Wall-clock time in a practice's IANA time zone, converted with Intl only (no tz library):
 * a practice says "Mondays 09:00–12:00" in its own local time, and those hours move in UTC
 * twice a year. Pure functions; local dates are `YYYY-MM-DD`, local times `HH:MM`.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;

let zones: ReadonlySet<string> | null = null;

/** True for an IANA zone this runtime knows (`Europe/Paris`, `America/Cayenne`, `UTC`...). */
export function isTimeZone(value: string): boolean {
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  return zones.has(value);
}

/** Parses `YYYY-MM-DD` into its parts when it names a real calendar day. */
export function parseLocalDate(value: string): { year: number; month: number; day: number } | null {
  const match = DATE.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return { year, month, day };
}

/** Minutes since midnight of an `HH:MM` time (00:00 to 23:59); `24:00` is the end of the day. */
export function parseLocalTime(value: string): number | null {
  if (value === '24:00') return 24 * 60;
  const match = TIME.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The local wall clock of an instant, as if it were UTC (milliseconds, seconds dropped). */
function wallClockMs(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
}

/** The zone's offset from UTC at an instant, in minutes (Paris: 60 in winter, 120 in summer). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const ms = Math.floor(instant.getTime() / 1000) * 1000;
  return Math.round((wallClockMs(ms, timeZone) - ms) / 60_000);
}

/**
 * The instant a local wall time happens in `timeZone`. A time skipped by a spring-forward change
 * (02:30 in Paris on the last Sunday of March) is moved forward by the gap (03:30); a time that
 * happens twice in autumn (02:30 on the last Sunday of October) is its first occurrence.
 */
export function zonedToUtc(date: string, time: string, timeZone: string): Date {
  const day = parseLocalDate(date);
  const minutes = parseLocalTime(time);
  if (!day || minutes === null) throw new RangeError(`not a local date and time: ${date} ${time}`);
  const wall = Date.UTC(day.year, day.month - 1, day.day) + minutes * 60_000;
  // At most one change happens within a day around the wall time: its offsets are the ones before and after.
  const before = offsetMinutes(new Date(wall - DAY_MS), timeZone);
  const after = offsetMinutes(new Date(wall + DAY_MS), timeZone);
  const candidates = [wall - before * 60_000, wall - after * 60_000]
    .filter((instant) => wallClockMs(instant, timeZone) === wall)
    .sort((a, b) => a - b);
  return new Date(candidates[0] ?? wall - before * 60_000);
}

/** The local date (`YYYY-MM-DD`) of an instant in `timeZone`. */
export function localDateOf(instant: Date, timeZone: string): string {
  return new Date(wallClockMs(instant.getTime(), timeZone)).toISOString().slice(0, 10);
}

/** The local date `days` days after `date` (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const day = parseLocalDate(date);
  if (!day) throw new RangeError(`not a local date: ${date}`);
  return new Date(Date.UTC(day.year, day.month - 1, day.day + days)).toISOString().slice(0, 10);
}

/** ISO weekday of a local date: 1 = Monday ... 7 = Sunday. */
export function isoWeekday(date: string): number {
  const day = parseLocalDate(date);
  if (!day) throw new RangeError(`not a local date: ${date}`);
  return new Date(Date.UTC(day.year, day.month - 1, day.day)).getUTCDay() || 7;
}
