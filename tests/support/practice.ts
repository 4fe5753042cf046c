import { randomBytes } from 'node:crypto';
import { luhnCheckDigit } from '../../subgraphs/cabinets/src/domain/rpps.ts';

/** A random RPPS number (11 digits) with a valid Luhn key, as attaching a practitioner requires. */
export function rppsNumber(): string {
  const payload = Array.from(randomBytes(10), (byte) => String(byte % 10)).join('');
  return `${payload}${luhnCheckDigit(payload)}`;
}

/** A unique suffix of letters only, as person names accept. */
export const letters = (length = 6): string =>
  Array.from(randomBytes(length), (byte) => String.fromCharCode(97 + (byte % 26))).join('');

/** Whole- or half-hour offsets only, so that 15-minute appointments on the half hour never cross midnight. */
const CANDIDATE_ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'America/Los_Angeles'];

const localHour = (zone: string, at: Date): number =>
  Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(at));

/**
 * The time zone test practices use: Paris, unless it is late evening or night there now, then one
 * where it is day. Tests that book, check in and call "today" (in the practice's time zone) would
 * otherwise fail when run near local midnight, the day changing under them.
 */
export const PRACTICE_TIME_ZONE: string =
  CANDIDATE_ZONES.find((zone) => {
    const hour = localHour(zone, new Date());
    return hour >= 2 && hour < 21;
  }) ?? 'Europe/Paris';

/** A practitioner's week open around the clock (setWeeklyAvailability rules), so tests book at any hour. */
export const OPEN_ALL_WEEK = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map(
  (weekday) => ({ weekday, startTime: '00:00', endTime: '24:00' }),
);
