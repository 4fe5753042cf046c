/** Someone in the waiting room: when they arrived and how long their appointment lasts. */
export interface Waiting {
  arrivedAt: Date;
  durationMinutes: number;
}

/** The consultation going on: when it started and how long its appointment lasts. */
export interface Ongoing {
  startedAt: Date;
  durationMinutes: number;
}

/** A place in the queue: 1-based position and the estimated wait, in whole minutes. */
export interface Place<T> {
  entry: T;
  position: number;
  estimatedWaitMinutes: number;
}

const MINUTE = 60_000;

/** Whole minutes left of the ongoing consultation at `now` (rounded up, never below zero). */
export function remainingMinutes(ongoing: Ongoing | null, now: Date): number {
  if (!ongoing) return 0;
  const end = ongoing.startedAt.getTime() + ongoing.durationMinutes * MINUTE;
  return Math.max(0, Math.ceil((end - now.getTime()) / MINUTE));
}

/**
 * The waiting room in order of arrival (ties by the order given), each with its position and its
 * estimated wait: the durations of everyone ahead plus what remains of the consultation going on.
 */
export function queue<T extends Waiting>(waiting: readonly T[], ongoing: Ongoing | null, now: Date): Place<T>[] {
  const ordered = waiting
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.arrivedAt.getTime() - b.entry.arrivedAt.getTime() || a.index - b.index);
  let wait = remainingMinutes(ongoing, now);
  return ordered.map(({ entry }, index) => {
    const place = { entry, position: index + 1, estimatedWaitMinutes: wait };
    wait += entry.durationMinutes;
    return place;
  });
}
