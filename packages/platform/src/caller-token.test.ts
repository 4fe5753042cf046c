import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { errors, SignJWT } from 'jose';
import { type CallerClaims, signCallerToken, verifyCallerToken } from './caller-token.ts';

const ISSUER = 'urn:supergraph:router';
const AUDIENCE = 'urn:supergraph:subgraphs';
const secret = randomBytes(32).toString('base64url');
const key = new TextEncoder().encode(secret);

const caller: CallerClaims = {
  subject: randomUUID(),
  requestId: randomUUID(),
  clientAddress: '203.0.113.9',
  claims: { role: 'DOCTOR', cabinet: randomUUID() },
};

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (segment: string): Record<string, unknown> => JSON.parse(Buffer.from(segment, 'base64url').toString());

/** A token shaped like the router's, with whatever expiry the test wants. */
function handMade(expiresAt: number, overrides: { issuer?: string; audience?: string } = {}): Promise<string> {
  return new SignJWT({ rid: caller.requestId, ip: caller.clientAddress, fwd: caller.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(overrides.issuer ?? ISSUER)
    .setAudience(overrides.audience ?? AUDIENCE)
    .setSubject(caller.subject ?? '')
    .setIssuedAt(expiresAt - 60)
    .setExpirationTime(expiresAt)
    .sign(key);
}

const now = (): number => Math.floor(Date.now() / 1000);

test('a token signed by the router verifies back to the same caller', async () => {
  const token = await signCallerToken(secret, caller);
  assert.deepEqual(await verifyCallerToken(secret, token), caller);
  const payload = decode(token.split('.')[1] ?? '');
  assert.equal(payload.iss, ISSUER);
  assert.equal(payload.aud, AUDIENCE);
  assert.ok(typeof payload.exp === 'number' && payload.exp > now() && payload.exp <= now() + 61, 'short-lived');
});

test('an anonymous caller without an address round-trips as such', async () => {
  const anonymous: CallerClaims = { subject: null, requestId: randomUUID(), clientAddress: null, claims: {} };
  assert.deepEqual(await verifyCallerToken(secret, await signCallerToken(secret, anonymous)), anonymous);
});

test('a hand-made token with the same issuer, audience and a future expiry is accepted (control)', async () => {
  const verified = await verifyCallerToken(secret, await handMade(now() + 60));
  assert.equal(verified.subject, caller.subject);
});

test('a token signed with another secret is rejected', async () => {
  const token = await signCallerToken(randomBytes(32).toString('base64url'), caller);
  await assert.rejects(verifyCallerToken(secret, token), errors.JWSSignatureVerificationFailed);
});

test('an expired token is rejected', async () => {
  await assert.rejects(verifyCallerToken(secret, await handMade(now() - 120)), errors.JWTExpired);
});

test('a token for another issuer or audience is rejected', async () => {
  await assert.rejects(
    verifyCallerToken(secret, await handMade(now() + 60, { issuer: 'urn:somebody:else' })),
    (error: unknown) => error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss',
  );
  await assert.rejects(
    verifyCallerToken(secret, await handMade(now() + 60, { audience: 'urn:somebody:else' })),
    (error: unknown) => error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud',
  );
});

test('a tampered token (claims changed, signature kept) is rejected', async () => {
  const token = await signCallerToken(secret, caller);
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const forged = { ...decode(payload), fwd: { ...caller.claims, role: 'ADMIN' } };
  await assert.rejects(
    verifyCallerToken(secret, `${header}.${base64url(forged)}.${signature}`),
    errors.JWSSignatureVerificationFailed,
  );
});

test('a token whose signature was altered is rejected', async () => {
  const token = await signCallerToken(secret, caller);
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  await assert.rejects(verifyCallerToken(secret, `${token.slice(0, -2)}${last}${token.at(-1)}`), errors.JOSEError);
});

test('an unsigned (alg none) token is rejected', async () => {
  const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
    rid: caller.requestId,
    fwd: { role: 'ADMIN' },
    sub: caller.subject,
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 60,
  })}.`;
  await assert.rejects(verifyCallerToken(secret, unsigned), errors.JOSEError);
});

test('a well-signed token without a request id is rejected', async () => {
  const token = await new SignJWT({ fwd: {} })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('u1')
    .setExpirationTime('1m')
    .sign(key);
  await assert.rejects(verifyCallerToken(secret, token), /no request id/);
});
