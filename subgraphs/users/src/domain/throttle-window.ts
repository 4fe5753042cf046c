/**
 * Login throttling over a sliding window: an attempt is refused when the account (normalized
 * email, known or not) or the client address already has its maximum of failed attempts within
 * the last `windowSeconds`. Refused attempts are not counted, so the refusal lasts for the rest
 * of the window of the failures that caused it, and no longer.
 *
 * Every attempt is recorded before its password is verified (a reservation), and the earlier
 * attempts are counted afterwards: of any number of attempts racing each other, the k-th to
 * count sees at least k - 1 others, so no more than the maximum ever get through to a password
 * check, however many are sent at once.
 */

export interface ThrottleSettings {
  windowSeconds: number;
  maxFailuresPerEmail: number;
  /** 0 turns throttling per address off. */
  maxFailuresPerAddress: number;
  /** Addresses never throttled per address (a proxy in front, local tools); the email limit still applies. */
  exemptAddresses: readonly string[];
}

export type ThrottleVerdict =
  | { throttled: false }
  | {
      throttled: true;
      by: 'email' | 'address';
      /** When the next attempt would be allowed again (for logs; never told to the client). */
      retryAt: Date;
    };

/** The oldest instant still inside the window that ends at `now` (exclusive bound). */
export function windowStart(now: Date, windowSeconds: number): Date {
  return new Date(now.getTime() - windowSeconds * 1000);
}

/**
 * Whether an attempt still counts at `now`. Attempts stamped a little after `now` count too: they
 * are concurrent attempts (possibly from another instance, with its own clock) already recorded.
 */
export function inWindow(at: Date, now: Date, windowSeconds: number): boolean {
  return at.getTime() > windowStart(now, windowSeconds).getTime();
}

/** Whether the address is throttled at all. */
export function throttlesAddress(address: string | null, settings: ThrottleSettings): address is string {
  return address !== null && settings.maxFailuresPerAddress > 0 && !settings.exemptAddresses.includes(address);
}

/**
 * When `max` earlier attempts within the window have dropped to `max - 1`: the `max`-th most
 * recent one leaves the window. Null when there are fewer than `max`.
 */
export function retryAt(earlier: readonly Date[], max: number, now: Date, windowSeconds: number): Date | null {
  const recent = earlier
    .filter((at) => inWindow(at, now, windowSeconds))
    .map((at) => at.getTime())
    .sort((a, b) => b - a);
  const limiting = recent[max - 1];
  return recent.length >= max && limiting !== undefined ? new Date(limiting + windowSeconds * 1000) : null;
}

/**
 * The verdict for one attempt, given the earlier attempts (failures, and reservations still in
 * flight) of the same email and of the same address. The email limit is checked first.
 */
export function throttleVerdict(
  earlierForEmail: readonly Date[],
  earlierForAddress: readonly Date[] | null,
  now: Date,
  settings: ThrottleSettings,
): ThrottleVerdict {
  const byEmail = retryAt(earlierForEmail, settings.maxFailuresPerEmail, now, settings.windowSeconds);
  if (byEmail) return { throttled: true, by: 'email', retryAt: byEmail };
  if (earlierForAddress && settings.maxFailuresPerAddress > 0) {
    const byAddress = retryAt(earlierForAddress, settings.maxFailuresPerAddress, now, settings.windowSeconds);
    if (byAddress) return { throttled: true, by: 'address', retryAt: byAddress };
  }
  return { throttled: false };
}
