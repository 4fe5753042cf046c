import { createPrivateKey, generateKeyPair, type KeyObject, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { type EntityManager, type MikroORM, sql } from '@cabinet/platform/database';
import type { Logger } from '@cabinet/platform/logger';
import { calculateJwkThumbprint, type JWK } from 'jose';
import {
  activationTime,
  canStartRotation,
  isPublished,
  type LifecycleSettings,
  planRing,
  type RingKey,
} from '../domain/key-lifecycle.ts';
import { SigningKey, type SigningKeyRecord } from '../persistence/signing-key.entity.ts';
import type { KeyEncryption } from './key-encryption.ts';

const generateRsaKeyPair = promisify(generateKeyPair);

/** The key that signs access tokens now. */
export interface ActiveKey {
  kid: string;
  privateKey: KeyObject;
}

export interface Jwks {
  keys: JWK[];
}

export interface KeyRingOptions {
  orm: MikroORM;
  encryption: KeyEncryption;
  lifecycle: LifecycleSettings;
  log: Logger;
  /** How often the ring is re-read from the database and due transitions applied. */
  refreshMs?: number;
  clock?: () => Date;
}

interface LoadedKey extends RingKey {
  publicJwk: JWK;
  privateKeySealed: string | null;
}

/** Namespace of the advisory locks of key rings (the migration lock is 7201). */
const RING_LOCK = 7202;

const toRingKey = (row: SigningKeyRecord): LoadedKey => ({
  kid: row.kid,
  status: row.status,
  createdAt: row.createdAt,
  activatesAt: row.activatesAt,
  activatedAt: row.activatedAt ?? null,
  retiredAt: row.retiredAt ?? null,
  unpublishAt: row.unpublishAt ?? null,
  publicJwk: row.publicJwk,
  privateKeySealed: row.privateKeySealed ?? null,
});

interface KeyMaterial {
  kid: string;
  publicJwk: JWK;
  privateDer: Buffer;
}

async function materialOf(privateKey: KeyObject): Promise<KeyMaterial> {
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('the signing key must be an RSA private key');
  const { kty, n, e } = privateKey.export({ format: 'jwk' });
  const publicJwk: JWK = { kty, n, e };
  return {
    kid: await calculateJwkThumbprint(publicJwk),
    publicJwk,
    privateDer: privateKey.export({ type: 'pkcs8', format: 'der' }),
  };
}

async function newKeyMaterial(): Promise<KeyMaterial> {
  const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  return materialOf(privateKey);
}

/**
 * The access-token signing keys, kept in the users database so that every instance signs with
 * the same key and publishes the same JWKS. Private keys are sealed at rest. Each instance
 * re-reads the ring every second or so and applies the transitions that are due (under a lock,
 * so exactly one instance writes each); see domain/key-lifecycle.ts for the rules.
 */
export class KeyRing {
  readonly #options: Required<KeyRingOptions>;
  readonly #privateKeys = new Map<string, KeyObject>();
  #keys: LoadedKey[] = [];
  #timer: NodeJS.Timeout | null = null;
  #refreshing: Promise<void> | null = null;

  constructor(options: KeyRingOptions) {
    this.#options = { refreshMs: 1000, clock: () => new Date(), ...options };
  }

  get ringId(): string {
    return this.#options.encryption.ringId;
  }

  /**
   * Seeds an empty ring with the configured private key (PEM), or a new key, as the signing key.
   * A configured key is only ever the first key of a ring: once the ring exists, rotation
   * (`rotate`, or automatic) is how keys change.
   */
  async init(initialPrivateKeyPem?: string): Promise<void> {
    const initial = initialPrivateKeyPem ? await materialOf(createPrivateKey(initialPrivateKeyPem)) : null;
    await this.#locked(async (em, keys) => {
      if (keys.length > 0) {
        if (initial && !keys.some((key) => key.kid === initial.kid)) {
          this.#options.log.warn(
            { kid: initial.kid, ring: this.ringId },
            'JWT_PRIVATE_KEY is not part of the signing-key ring and is ignored: it only seeds an empty ring',
          );
        }
        return;
      }
      const now = this.#options.clock();
      const material = initial ?? (await newKeyMaterial());
      this.#insert(em, material, { status: 'current', activatesAt: now, activatedAt: now });
      this.#options.log.info(
        { kid: material.kid, ring: this.ringId, configured: initial !== null },
        'signing-key ring created',
      );
    });
    await this.#refreshAfterWrite();
  }

  /**
   * Starts a rotation: a new key is published now and signs after the publication delay. When a
   * rotation is already under way, it is left to finish (one waiting key at a time).
   */
  async rotate(): Promise<{ kid: string; activatesAt: Date; started: boolean }> {
    const material = await newKeyMaterial();
    const result = await this.#locked(async (em, keys) => {
      const waiting = keys.find((key) => key.status === 'next');
      if (waiting && !canStartRotation(keys))
        return { kid: waiting.kid, activatesAt: waiting.activatesAt, started: false };
      const activatesAt = activationTime(this.#options.clock(), this.#options.lifecycle);
      this.#insert(em, material, { status: 'next', activatesAt, activatedAt: null });
      return { kid: material.kid, activatesAt, started: true };
    });
    if (result.started)
      this.#options.log.info({ kid: result.kid, activatesAt: result.activatesAt }, 'signing key rotation started');
    await this.#refreshAfterWrite();
    return result;
  }

  /** Re-reads the ring and applies the transitions that are due. Concurrent calls share one run. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** A refresh that sees what was just committed: not one that was already reading before. */
  async #refreshAfterWrite(): Promise<void> {
    await this.#refreshing?.catch(() => undefined);
    await this.refresh();
  }

  /** Keeps the ring fresh in the background until `stop`. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.#options.log.warn({ err: error }, 'signing-key ring refresh failed; keeping the keys as they were');
      });
    }, this.#options.refreshMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#refreshing?.catch(() => undefined);
  }

  /** The key to sign with, as last read. */
  signingKey(): ActiveKey {
    const current = this.#keys.find((key) => key.status === 'current');
    if (!current?.privateKeySealed) throw new Error('the signing-key ring has no current key');
    let privateKey = this.#privateKeys.get(current.kid);
    if (!privateKey) {
      const der = this.#options.encryption.open(current.privateKeySealed, current.kid);
      privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      this.#privateKeys.set(current.kid, privateKey);
    }
    return { kid: current.kid, privateKey };
  }

  /** The public keys verifiers need now: the waiting key, the current one, and retired ones still in use. */
  jwks(): Jwks {
    const now = this.#options.clock();
    return {
      keys: this.#keys
        .filter((key) => isPublished(key, now))
        .map((key) => ({ ...key.publicJwk, kid: key.kid, alg: 'RS256', use: 'sig' })),
    };
  }

  /** The ring as last read (for tests and diagnostics): key ids and states, no key material. */
  snapshot(): RingKey[] {
    return this.#keys.map(({ publicJwk: _jwk, privateKeySealed: _sealed, ...key }) => key);
  }

  async #refresh(): Promise<void> {
    let keys = await this.#load(this.#options.orm.em.fork());
    const plan = planRing(keys, this.#options.clock(), this.#options.lifecycle);
    if (plan.changes.length > 0 || plan.rotate) {
      const material = plan.rotate ? await newKeyMaterial() : null;
      await this.#locked(async (em, locked) => {
        // Decided again under the lock: another instance may have done it meanwhile.
        const now = this.#options.clock();
        const due = planRing(locked, now, this.#options.lifecycle);
        for (const change of due.changes) {
          const data =
            change.to === 'current'
              ? { status: change.to, activatedAt: change.activatedAt }
              : change.to === 'retired'
                ? { status: change.to, retiredAt: change.retiredAt, unpublishAt: change.unpublishAt }
                : { status: change.to, privateKeySealed: null };
          await em.nativeUpdate(SigningKey, { ring: this.ringId, kid: change.kid }, data);
          this.#options.log.info(
            { kid: change.kid, status: change.to, ring: this.ringId },
            'signing key changed state',
          );
        }
        if (due.rotate && material) {
          this.#insert(em, material, {
            status: 'next',
            activatesAt: activationTime(now, this.#options.lifecycle),
            activatedAt: null,
          });
          this.#options.log.info({ kid: material.kid, ring: this.ringId }, 'automatic signing key rotation started');
        }
      });
      keys = await this.#load(this.#options.orm.em.fork());
    }
    this.#keys = keys;
    for (const kid of this.#privateKeys.keys()) {
      if (!keys.some((key) => key.kid === kid && key.status === 'current')) this.#privateKeys.delete(kid);
    }
  }

  async #load(em: EntityManager): Promise<LoadedKey[]> {
    const rows = await em.find(
      SigningKey,
      { ring: this.ringId, status: { $ne: 'expired' } },
      { orderBy: { createdAt: 'asc' } },
    );
    return rows.map(toRingKey);
  }

  /** Runs `work` in a transaction holding this ring's lock, with the ring as it is under the lock. */
  async #locked<T>(work: (em: EntityManager, keys: LoadedKey[]) => Promise<T>): Promise<T> {
    return this.#options.orm.em.fork().transactional(async (em) => {
      await sql(em, 'select pg_advisory_xact_lock(?, hashtext(?))', [RING_LOCK, this.ringId]);
      return work(em, await this.#load(em));
    });
  }

  #insert(
    em: EntityManager,
    material: KeyMaterial,
    state: { status: 'current' | 'next'; activatesAt: Date; activatedAt: Date | null },
  ): void {
    em.create(SigningKey, {
      id: randomUUID(),
      ring: this.ringId,
      kid: material.kid,
      status: state.status,
      publicJwk: material.publicJwk,
      privateKeySealed: this.#options.encryption.seal(material.privateDer, material.kid),
      createdAt: this.#options.clock(),
      activatesAt: state.activatesAt,
      activatedAt: state.activatedAt,
      retiredAt: null,
      unpublishAt: null,
    });
  }
}
