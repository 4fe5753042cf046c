/**
 * The life of a signing key, so that rotating keys never fails a request:
 *
 *   next     published in the JWKS, not signing yet: verifiers get to know it first
 *   current  the one key that signs, published
 *   retired  no longer signs, still published until every token it signed has expired
 *   expired  no longer published; its private key is erased
 *
 * A `next` key becomes `current` once it has been published for the publication delay (longer
 * than verifiers take to refetch the JWKS), and the key it replaces is retired at that moment.
 * Everything here is a function of the keys' timestamps and the clock, so every instance that
 * reads the same keys reaches the same conclusions.
 */

export const KEY_STATUSES = ['next', 'current', 'retired', 'expired'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export interface RingKey {
  kid: string;
  status: KeyStatus;
  createdAt: Date;
  /** When a `next` key may start signing. */
  activatesAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  /** When a retired key leaves the JWKS. */
  unpublishAt: Date | null;
}

export interface LifecycleSettings {
  /** How long a new key is published before it signs. */
  publicationDelaySeconds: number;
  /** Lifetime of the access tokens: how long a retired key must stay published. */
  accessTokenTtlSeconds: number;
  /** Automatic rotation period of the current key; 0 = only on demand. */
  rotationIntervalSeconds: number;
  /** Added to the access-token lifetime: clock skew and instances slow to see the change. */
  retirementMarginSeconds: number;
}

export type KeyChange =
  | { kid: string; to: 'current'; activatedAt: Date }
  | { kid: string; to: 'retired'; retiredAt: Date; unpublishAt: Date }
  | { kid: string; to: 'expired' };

export interface RingPlan {
  /** To be applied in this order. */
  changes: KeyChange[];
  /** A new `next` key should be created (automatic rotation is due). */
  rotate: boolean;
}

const after = (at: Date, seconds: number): Date => new Date(at.getTime() + seconds * 1000);
const reached = (at: Date | null, now: Date): boolean => at !== null && at.getTime() <= now.getTime();

/** Whether the key belongs in the JWKS at `now`. */
export function isPublished(key: RingKey, now: Date): boolean {
  if (key.status === 'next' || key.status === 'current') return true;
  return key.status === 'retired' && !reached(key.unpublishAt, now);
}

/** When a key created at `now` may start signing. */
export function activationTime(now: Date, settings: LifecycleSettings): Date {
  return after(now, settings.publicationDelaySeconds);
}

/** When a key retired at `now` may leave the JWKS: once the last token it signed has expired. */
export function unpublishTime(retiredAt: Date, settings: LifecycleSettings): Date {
  return after(retiredAt, settings.accessTokenTtlSeconds + settings.retirementMarginSeconds);
}

/** A rotation on demand starts a new key unless one is already waiting to take over. */
export function canStartRotation(keys: readonly RingKey[]): boolean {
  return !keys.some((key) => key.status === 'next');
}

/**
 * The transitions due at `now`: a published-long-enough `next` key takes over (at once when
 * nothing signs), the key it replaces retires, retired keys past their publication leave, and
 * automatic rotation starts a new key when the current one is old enough.
 */
export function planRing(keys: readonly RingKey[], now: Date, settings: LifecycleSettings): RingPlan {
  const changes: KeyChange[] = [];
  const current = keys.find((key) => key.status === 'current');
  const next = keys.find((key) => key.status === 'next');
  let signingSince = current?.activatedAt ?? null;
  let waiting = next !== undefined;
  if (next && (reached(next.activatesAt, now) || !current)) {
    // In the order they can be written: the ring never holds two current keys, even for a moment.
    if (current) {
      changes.push({ kid: current.kid, to: 'retired', retiredAt: now, unpublishAt: unpublishTime(now, settings) });
    }
    changes.push({ kid: next.kid, to: 'current', activatedAt: now });
    signingSince = now;
    waiting = false;
  }
  for (const key of keys) {
    if (key.status === 'retired' && reached(key.unpublishAt, now)) changes.push({ kid: key.kid, to: 'expired' });
  }
  const rotate =
    settings.rotationIntervalSeconds > 0 &&
    !waiting &&
    signingSince !== null &&
    reached(after(signingSince, settings.rotationIntervalSeconds), now);
  return { changes, rotate };
}

/** Applies a plan's changes to the keys (what the database will hold once they are written). */
export function applyChanges(keys: readonly RingKey[], changes: readonly KeyChange[]): RingKey[] {
  return keys.map((key) => {
    const change = changes.find((candidate) => candidate.kid === key.kid);
    if (!change) return key;
    switch (change.to) {
      case 'current':
        return { ...key, status: 'current', activatedAt: change.activatedAt };
      case 'retired':
        return { ...key, status: 'retired', retiredAt: change.retiredAt, unpublishAt: change.unpublishAt };
      case 'expired':
        return { ...key, status: 'expired' };
    }
    return key;
  });
}
