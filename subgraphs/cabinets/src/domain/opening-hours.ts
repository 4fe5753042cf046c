import { badUserInput } from '@cabinet/platform/errors';

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Local wall-clock times of the practice, HH:MM (24 h); `opens` is before `closes`. */
export interface OpeningInterval {
  opens: string;
  closes: string;
}

/** The hours of one weekday; a weekday not listed is closed. */
export interface OpeningDay {
  weekday: Weekday;
  intervals: OpeningInterval[];
}

export interface OpeningDayInput {
  weekday: string;
  intervals: readonly { opens: string; closes: string }[];
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** Intervals a day may hold: plenty for split shifts, bounded for storage. */
const MAX_INTERVALS_PER_DAY = 6;

function minutes(value: string, field: string): number {
  const match = TIME.exec(value.trim());
  if (!match) throw badUserInput(`${field} must be a time written HH:MM (00:00 to 23:59)`, field);
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * Validates and normalizes opening hours: weekdays in calendar order (Monday first), each at most
 * once, intervals sorted, non-overlapping (one may start when the previous closes), `opens`
 * before `closes`; days without intervals are dropped (closed). Errors name the field, e.g.
 * `openingHours.MONDAY[1].closes`.
 */
export function validateOpeningHours(input: readonly OpeningDayInput[]): OpeningDay[] {
  const seen = new Set<Weekday>();
  const days: OpeningDay[] = [];
  for (const day of input) {
    if (!WEEKDAYS.includes(day.weekday as Weekday)) {
      throw badUserInput('openingHours.weekday is not a known weekday', 'openingHours.weekday');
    }
    const weekday = day.weekday as Weekday;
    const field = `openingHours.${weekday}`;
    if (seen.has(weekday)) throw badUserInput(`${field} is listed twice`, field);
    seen.add(weekday);
    if (day.intervals.length > MAX_INTERVALS_PER_DAY) {
      throw badUserInput(`${field} has more than ${MAX_INTERVALS_PER_DAY} intervals`, field);
    }
    const parsed = day.intervals.map((interval, index) => {
      const opens = minutes(interval.opens, `${field}[${index}].opens`);
      const closes = minutes(interval.closes, `${field}[${index}].closes`);
      if (opens >= closes) {
        throw badUserInput(`${field}[${index}] must open before it closes`, `${field}[${index}].closes`);
      }
      return { index, opens, closes, interval: { opens: interval.opens.trim(), closes: interval.closes.trim() } };
    });
    parsed.sort((a, b) => a.opens - b.opens);
    for (let i = 1; i < parsed.length; i++) {
      const previous = parsed[i - 1];
      const current = parsed[i];
      if (previous && current && current.opens < previous.closes) {
        throw badUserInput(
          `${field}[${current.index}] overlaps ${field}[${previous.index}]`,
          `${field}[${current.index}].opens`,
        );
      }
    }
    if (parsed.length > 0) days.push({ weekday, intervals: parsed.map((entry) => entry.interval) });
  }
  return days.sort((a, b) => WEEKDAYS.indexOf(a.weekday) - WEEKDAYS.indexOf(b.weekday));
}
