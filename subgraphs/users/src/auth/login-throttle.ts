import { createHash, randomUUID } from 'node:crypto';
import { type MikroORM, sql } from '@cabinet/platform/database';
import {
  type ThrottleSettings,
  type ThrottleVerdict,
  throttlesAddress,
  throttleVerdict,
  windowStart,
} from '../domain/throttle-window.ts';
import { LoginAttempt } from '../persistence/login-attempt.entity.ts';

export interface Attempt {
  id: string;
  verdict: ThrottleVerdict;
}

/** Attempts are kept at least this long, whatever the window, then purged. */
const RETENTION_MS = 24 * 3600 * 1000;

/** The throttle key of an email: its SHA-256, so attempts on any email are counted without storing it. */
export const emailKey = (normalizedEmail: string): string =>
  createHash('sha256').update(normalizedEmail, 'utf8').digest('hex');

/**
 * Counts password attempts per account and per client address in the users database, so every
 * instance enforces the same limits. An attempt is recorded before its password is checked and
 * removed again when it succeeds (or is refused unchecked): what remains are the failures.
 * See domain/throttle-window.ts for the rules.
 */
export class LoginThrottle {
  readonly #orm: MikroORM;
  readonly #settings: ThrottleSettings;
  readonly #clock: () => Date;

  constructor(orm: MikroORM, settings: ThrottleSettings, clock: () => Date = () => new Date()) {
    this.#orm = orm;
    this.#settings = settings;
    this.#clock = clock;
  }

  /** Records an attempt on `normalizedEmail` from `address` and decides whether it may proceed. */
  async begin(normalizedEmail: string, address: string | null): Promise<Attempt> {
    const em = this.#orm.em.fork();
    const now = this.#clock();
    const id = randomUUID();
    const key = emailKey(normalizedEmail);
    // Committed on its own before counting: concurrent attempts see each other.
    await em.insert(LoginAttempt, { id, emailKey: key, clientAddress: address, attemptedAt: now });
    const since = windowStart(now, this.#settings.windowSeconds);
    const earlierForEmail = await this.#earlier('email_key', key, since, id, this.#settings.maxFailuresPerEmail);
    const earlierForAddress = throttlesAddress(address, this.#settings)
      ? await this.#earlier('client_address', address, since, id, this.#settings.maxFailuresPerAddress)
      : null;
    const verdict = throttleVerdict(earlierForEmail, earlierForAddress, now, this.#settings);
    // A refused attempt is not a failure: it does not prolong the refusal.
    if (verdict.throttled) await this.release(id);
    return { id, verdict };
  }

  /** Forgets an attempt that succeeded. */
  async release(id: string): Promise<void> {
    await this.#orm.em.fork().nativeDelete(LoginAttempt, { id });
  }

  /** Deletes attempts too old to count. */
  async purge(): Promise<number> {
    const keepMs = Math.max(RETENTION_MS, this.#settings.windowSeconds * 1000);
    return this.#orm.em.fork().nativeDelete(LoginAttempt, {
      attemptedAt: { $lt: new Date(this.#clock().getTime() - keepMs) },
    });
  }

  async #earlier(
    column: 'email_key' | 'client_address',
    value: string,
    since: Date,
    own: string,
    limit: number,
  ): Promise<Date[]> {
    const rows = await sql<{ attempted_at: Date }>(
      this.#orm.em.fork(),
      `select attempted_at from login_attempt where ${column} = ? and attempted_at > ? and id <> ?
       order by attempted_at desc limit ?`,
      [value, since, own, limit],
    );
    return rows.map((row) => new Date(row.attempted_at));
  }
}
