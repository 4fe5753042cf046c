/**
 * Refresh tokens come in families, one per session (the `sid` of the access tokens). Each refresh
 * uses the presented token up and issues the next one in the same family; a token presented a
 * second time means two parties hold the family (a stolen token replayed after the legitimate
 * client rotated, or the other way round), so the whole family is revoked.
 *
 * A family dies at its absolute expiry (set at sign-in) or when it sits unused for the idle
 * period (each token expires `idle` after it was issued, never after its family).
 */

export interface RefreshSettings {
  /** Absolute lifetime of a family (a session), from sign-in. */
  ttlSeconds: number;
  /** Lifetime of each token of the family: a session unused this long is over. */
  idleSeconds: number;
}

export interface FamilyState {
  expiresAt: Date;
  revokedAt?: Date | null;
}

export interface TokenState {
  expiresAt: Date;
  usedAt?: Date | null;
}

export type RefusalReason =
  /** No such token (never issued, or purged long after expiry). */
  | 'UNKNOWN_TOKEN'
  /** The family was revoked (logout, password change, reuse, deactivation). */
  | 'SESSION_REVOKED'
  /** The token was already used: replay after rotation. Revokes the family. */
  | 'TOKEN_REUSED'
  /** The family reached its absolute lifetime. */
  | 'SESSION_EXPIRED'
  /** The token (and so the session) sat unused past the idle period. */
  | 'SESSION_IDLE'
  /** The account was deactivated since sign-in. Revokes the family. */
  | 'ACCOUNT_INACTIVE';

export type RefreshDecision =
  | { kind: 'rotate'; nextTokenExpiresAt: Date }
  | { kind: 'refuse'; reason: RefusalReason; revokeFamily: boolean };

const seconds = (s: number): number => s * 1000;

/** When a family started at `now` ends, whatever happens. */
export function familyExpiry(now: Date, settings: RefreshSettings): Date {
  return new Date(now.getTime() + seconds(settings.ttlSeconds));
}

/** A token issued at `now` expires after the idle period, and never outlives its family. */
export function tokenExpiry(now: Date, familyExpiresAt: Date, settings: RefreshSettings): Date {
  return new Date(Math.min(now.getTime() + seconds(settings.idleSeconds), familyExpiresAt.getTime()));
}

/** Seconds from `now` until `at`, rounded down, never negative (for `expiresIn` answers). */
export function secondsUntil(at: Date, now: Date): number {
  return Math.max(0, Math.floor((at.getTime() - now.getTime()) / 1000));
}

/**
 * What to do with a presented refresh token. Reuse is checked before expiry: a replayed token
 * revokes its family even when the family is about to end anyway, so the event is never lost.
 */
export function decideRefresh(
  token: TokenState | null,
  family: FamilyState | null,
  accountActive: boolean,
  now: Date,
  settings: RefreshSettings,
): RefreshDecision {
  if (!token || !family) return { kind: 'refuse', reason: 'UNKNOWN_TOKEN', revokeFamily: false };
  if (family.revokedAt) return { kind: 'refuse', reason: 'SESSION_REVOKED', revokeFamily: false };
  if (token.usedAt) return { kind: 'refuse', reason: 'TOKEN_REUSED', revokeFamily: true };
  if (family.expiresAt.getTime() <= now.getTime()) {
    return { kind: 'refuse', reason: 'SESSION_EXPIRED', revokeFamily: false };
  }
  if (token.expiresAt.getTime() <= now.getTime()) {
    return { kind: 'refuse', reason: 'SESSION_IDLE', revokeFamily: false };
  }
  if (!accountActive) return { kind: 'refuse', reason: 'ACCOUNT_INACTIVE', revokeFamily: true };
  return { kind: 'rotate', nextTokenExpiresAt: tokenExpiry(now, family.expiresAt, settings) };
}

/** Refresh tokens are 32 random bytes, base64url: exactly 43 characters of that alphabet. */
export const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
