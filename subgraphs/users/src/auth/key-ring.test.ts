// Integration: the signing-key ring on the real PostgreSQL test database of the users subgraph.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { createLogger } from '@cabinet/platform/logger';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, jwtVerify, SignJWT } from 'jose';
import type { LifecycleSettings } from '../domain/key-lifecycle.ts';
import { entities } from '../persistence/entities.ts';
import { migrations } from '../persistence/migrations.ts';
import { generateKeyEncryptionKey, KeyEncryption } from './key-encryption.ts';
import { KeyRing } from './key-ring.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_users`;
const log = createLogger('test', 'silent');

let orm: MikroORM;
const rings: KeyRing[] = [];
before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities, migrations });
});
after(async () => {
  for (const ring of rings) await ring.stop();
  await orm?.close(true);
});

const fast: LifecycleSettings = {
  publicationDelaySeconds: 1,
  accessTokenTtlSeconds: 1,
  rotationIntervalSeconds: 0,
  retirementMarginSeconds: 0,
};

/** A ring instance; instances given the same secret share one ring, like replicas of the service. */
function instance(secret: string, lifecycle: Partial<LifecycleSettings> = {}): KeyRing {
  const ring = new KeyRing({ orm, encryption: new KeyEncryption(secret), lifecycle: { ...fast, ...lifecycle }, log });
  rings.push(ring);
  return ring;
}

const sign = (ring: KeyRing): Promise<string> => {
  const { kid, privateKey } = ring.signingKey();
  return new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('1m').sign(privateKey);
};
const verifies = async (jwks: ReturnType<KeyRing['jwks']>, token: string): Promise<boolean> =>
  jwtVerify(token, createLocalJWKSet(jwks)).then(
    () => true,
    () => false,
  );
const kids = (ring: KeyRing): string[] => ring.jwks().keys.map((key) => key.kid as string);

test('an empty ring is seeded with the configured key, sealed at rest under its thumbprint', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(privateKey)));
  const ring = instance(generateKeyEncryptionKey());
  await ring.init(pem);
  assert.equal(ring.signingKey().kid, kid);
  assert.deepEqual(kids(ring), [kid]);
  const [jwk] = ring.jwks().keys;
  assert.deepEqual([jwk?.alg, jwk?.use, jwk?.kty, 'd' in (jwk ?? {})], ['RS256', 'sig', 'RSA', false]);
  assert.equal(await verifies(ring.jwks(), await sign(ring)), true);

  const [row] = await sql<{ private_key_sealed: string; status: string }>(
    orm.em.fork(),
    'select private_key_sealed, status from signing_key where ring = ? and kid = ?',
    [ring.ringId, kid],
  );
  assert.equal(row?.status, 'current');
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  assert.match(row?.private_key_sealed ?? '', /^v1\./);
  for (const clear of [pem.split('\n')[1] ?? 'x', der.toString('base64'), der.toString('base64url').slice(0, 40)]) {
    assert.equal(row?.private_key_sealed.includes(clear), false, 'the private key is not stored in clear');
  }
});

test('replicas agree; a rotation publishes first, signs after the delay, and retires the old key after the token lifetime', async () => {
  const secret = generateKeyEncryptionKey();
  const a = instance(secret);
  const b = instance(secret);
  await a.init();
  await b.init();
  const first = a.signingKey().kid;
  assert.equal(b.signingKey().kid, first, 'one ring, one signing key');
  const before = await sign(a);

  const rotation = await a.rotate();
  assert.equal(rotation.started, true);
  assert.deepEqual(kids(a), [first, rotation.kid], 'published at once by the instance that rotated');
  await b.refresh();
  assert.deepEqual(kids(b), [first, rotation.kid], 'and by the others at their next refresh');
  assert.equal(a.signingKey().kid, first, 'not signing yet');
  assert.equal((await a.rotate()).started, false, 'one rotation at a time');

  await sleep(1100);
  await b.refresh();
  await a.refresh();
  assert.equal(a.signingKey().kid, rotation.kid);
  assert.equal(b.signingKey().kid, rotation.kid);
  assert.deepEqual(kids(b), [first, rotation.kid], 'the retired key is still published');
  assert.equal(await verifies(b.jwks(), before), true, 'tokens signed before the rotation still verify');
  assert.equal(await verifies(b.jwks(), await sign(b)), true);

  await sleep(1100);
  await a.refresh();
  await b.refresh();
  assert.deepEqual(kids(a), [rotation.kid], 'gone once every token it signed has expired');
  assert.deepEqual(kids(b), [rotation.kid]);
  const [row] = await sql<{ status: string; private_key_sealed: string | null }>(
    orm.em.fork(),
    'select status, private_key_sealed from signing_key where ring = ? and kid = ?',
    [a.ringId, first],
  );
  assert.deepEqual(row, { status: 'expired', private_key_sealed: null }, 'its private key is erased');
});

test('replicas rotating at the same moment start one rotation', async () => {
  const secret = generateKeyEncryptionKey();
  const [a, b, c] = [instance(secret), instance(secret), instance(secret)];
  await a.init();
  await Promise.all([b.init(), c.init()]);
  const results = await Promise.all([a.rotate(), b.rotate(), c.rotate()]);
  assert.equal(results.filter((result) => result.started).length, 1);
  assert.equal(new Set(results.map((result) => result.kid)).size, 1, 'all report the same waiting key');
});

test('a configured key is only the seed: a ring that exists keeps its keys', async () => {
  const secret = generateKeyEncryptionKey();
  const a = instance(secret);
  await a.init();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b = instance(secret);
  await b.init(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  assert.equal(b.signingKey().kid, a.signingKey().kid);
  assert.equal(kids(b).length, 1);
});

test('another key-encryption key is another ring: neither sees the other', async () => {
  const a = instance(generateKeyEncryptionKey());
  const b = instance(generateKeyEncryptionKey());
  await a.init();
  await b.init();
  assert.notEqual(a.ringId, b.ringId);
  assert.notEqual(a.signingKey().kid, b.signingKey().kid);
  assert.equal(await verifies(b.jwks(), await sign(a)), false);
});

test('automatic rotation starts a new key once the current one has signed for the period', async () => {
  const ring = instance(generateKeyEncryptionKey(), { rotationIntervalSeconds: 1, publicationDelaySeconds: 1 });
  await ring.init();
  const first = ring.signingKey().kid;
  await ring.refresh();
  assert.equal(kids(ring).length, 1);
  await sleep(1100);
  await ring.refresh();
  assert.equal(kids(ring).length, 2, 'a next key is published');
  assert.equal(ring.signingKey().kid, first);
  await sleep(1100);
  await ring.refresh();
  assert.notEqual(ring.signingKey().kid, first, 'and takes over after the delay');
});

test('the background refresh applies due transitions without being asked', async () => {
  const secret = generateKeyEncryptionKey();
  const a = new KeyRing({ orm, encryption: new KeyEncryption(secret), lifecycle: fast, log, refreshMs: 100 });
  rings.push(a);
  await a.init();
  a.start();
  const first = a.signingKey().kid;
  const b = instance(secret);
  await b.init();
  await b.rotate();
  await sleep(1500);
  assert.notEqual(a.signingKey().kid, first);
  await a.stop();
});
