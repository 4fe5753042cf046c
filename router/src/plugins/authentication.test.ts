import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type Authentication, bearerToken, createAuthenticator } from './authentication.ts';

const ISSUER = 'https://users.cabinet.test';
const AUDIENCE = 'cabinet-api';
const FORWARD = ['role', 'cabinet'];

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A real HTTP server publishing whatever keys the test puts in `published`. */
let server: Server;
let jwksUrl: string;
let published: JWK[] = [];
let fetches = 0;
let key: SigningKey;
let stranger: SigningKey;

before(async () => {
  key = await signingKey();
  stranger = await signingKey();
  published = [key.jwk];
  server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    fetches++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const authenticator = () =>
  createAuthenticator({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, forwardClaims: FORWARD });
const now = (): number => Math.floor(Date.now() / 1000);
const cabinet = randomUUID();
const subject = randomUUID();

interface TokenOptions {
  signer?: SigningKey;
  kid?: string;
  issuer?: string;
  audience?: string;
  expiresAt?: number | null;
  subject?: string | null;
  notBefore?: number;
}

function token(options: TokenOptions = {}): Promise<string> {
  const signer = options.signer ?? key;
  const jwt = new SignJWT({ role: 'DOCTOR', cabinet, email: 'dr@cabinet.test', name: 'Dr Who' })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? signer.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now() - 30)
    .setJti(randomUUID());
  if (options.subject !== null) jwt.setSubject(options.subject ?? subject);
  if (options.expiresAt !== null) jwt.setExpirationTime(options.expiresAt ?? now() + 300);
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(signer.privateKey);
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (overrides: Record<string, unknown> = {}) => ({
  sub: subject,
  role: 'ADMIN',
  cabinet,
  iss: ISSUER,
  aud: AUDIENCE,
  iat: now(),
  exp: now() + 300,
  ...overrides,
});

function refused(result: Authentication, reason: string | RegExp): void {
  assert.equal(result.ok, false, `expected a refusal, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  if (typeof reason === 'string') assert.equal(result.reason, reason);
  else assert.match(result.reason, reason);
}

test('a valid token is accepted, forwarding only the configured claims', async () => {
  const expiresAt = now() + 300;
  const result = await authenticator()(await token({ expiresAt }));
  assert.deepEqual(result, {
    ok: true,
    principal: { subject, claims: { role: 'DOCTOR', cabinet }, scopes: [], expiresAt },
  });
});

test('scopes are read from the scope claim: a space-separated string or an array', async () => {
  const signed = (claims: Record<string, unknown>) =>
    new SignJWT(claimsOf(claims)).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
  const scopesOf = async (claims: Record<string, unknown>, scopeClaim?: string) => {
    const verify = createAuthenticator({
      jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      forwardClaims: FORWARD,
      scopeClaim,
    });
    const result = await verify(await signed(claims));
    assert.ok(result.ok, JSON.stringify(result));
    return result.principal.scopes;
  };
  assert.deepEqual(await scopesOf({ scope: 'a:read  b:write' }), ['a:read', 'b:write']);
  assert.deepEqual(await scopesOf({ scope: ['a:read', 42, '', 'b'] }), ['a:read', 'b']);
  assert.deepEqual(await scopesOf({ scope: 7 }), []);
  assert.deepEqual(await scopesOf({}), []);
  assert.deepEqual(await scopesOf({ scope: 'ignored', permissions: ['p'] }, 'permissions'), ['p']);
});

test('a configured claim the token lacks is simply not forwarded', async () => {
  const verify = createAuthenticator({
    jwksUrl,
    issuer: ISSUER,
    audience: AUDIENCE,
    forwardClaims: ['role', 'tenant'],
  });
  const result = await verify(await token());
  assert.ok(result.ok);
  assert.deepEqual(result.principal.claims, { role: 'DOCTOR' });
});

test('the keys are fetched once, not for every token', async () => {
  const verify = authenticator();
  const before = fetches;
  for (let i = 0; i < 3; i++) assert.equal((await verify(await token())).ok, true);
  assert.equal(fetches - before, 1);
});

test('an expired token is refused', async () => {
  refused(await authenticator()(await token({ expiresAt: now() - 120 })), 'Access token expired');
});

test('a token for another audience is refused', async () => {
  refused(
    await authenticator()(await token({ audience: 'another-api' })),
    'Access token rejected: aud claim is not valid',
  );
});

test('a token from another issuer is refused', async () => {
  refused(
    await authenticator()(await token({ issuer: 'https://evil.example' })),
    'Access token rejected: iss claim is not valid',
  );
});

test('a token without subject or expiry is refused', async () => {
  refused(await authenticator()(await token({ subject: null })), 'Access token rejected: sub claim is not valid');
  refused(await authenticator()(await token({ expiresAt: null })), 'Access token rejected: exp claim is not valid');
});

test('a token not yet valid is refused', async () => {
  refused(
    await authenticator()(await token({ notBefore: now() + 600 })),
    'Access token rejected: nbf claim is not valid',
  );
});

test('a token signed by another key under a known key id is refused: bad signature', async () => {
  refused(
    await authenticator()(await token({ signer: stranger, kid: key.kid })),
    'Access token rejected: bad signature',
  );
});

test('a token signed by a key the issuer does not publish is refused: unknown key', async () => {
  refused(await authenticator()(await token({ signer: stranger })), 'Access token rejected: signed by an unknown key');
});

test('a token with a payload altered after signing is refused', async () => {
  const [header, , signature] = (await token()).split('.') as [string, string, string];
  const forged = `${header}.${base64url(claimsOf({ role: 'ADMIN' }))}.${signature}`;
  refused(await authenticator()(forged), 'Access token rejected: bad signature');
});

test('an unsigned (alg none) token is refused', async () => {
  const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claimsOf())}.`;
  refused(await authenticator()(unsigned), 'Access token rejected: signing algorithm not allowed');
});

test('an HS256 token (e.g. signed with the public key as a secret) is refused', async () => {
  const hs256 = await new SignJWT(claimsOf())
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .sign(new TextEncoder().encode(JSON.stringify(key.jwk)));
  refused(await authenticator()(hs256), 'Access token rejected: signing algorithm not allowed');
  const random = await new SignJWT(claimsOf()).setProtectedHeader({ alg: 'HS256' }).sign(randomBytes(32));
  refused(await authenticator()(random), 'Access token rejected: signing algorithm not allowed');
});

test('garbage is refused as malformed', async () => {
  for (const garbage of ['', 'abc', 'a.b.c', 'a.b', 'Bearer x.y.z']) {
    refused(await authenticator()(garbage), 'Access token rejected: malformed');
  }
  // A well-formed header with a bogus signature fails on the signature, checked before the payload.
  refused(await authenticator()(`${base64url({ alg: 'RS256' })}.not-json.sig`), /^Access token rejected: /);
});

test('an unreachable key server refuses tokens instead of throwing', async () => {
  const verify = createAuthenticator({
    jwksUrl: 'http://127.0.0.1:1/jwks.json',
    issuer: ISSUER,
    audience: AUDIENCE,
    forwardClaims: FORWARD,
  });
  refused(await verify(await token()), /^Access token rejected/);
});

test('a key published after the first fetch is picked up once the cooldown has passed', async () => {
  const verify = authenticator();
  assert.equal((await verify(await token())).ok, true);
  const rotated = await signingKey();
  published = [key.jwk, rotated.jwk];
  try {
    refused(await verify(await token({ signer: rotated })), 'Access token rejected: signed by an unknown key');
    await sleep(5_200);
    const before = fetches;
    const result = await verify(await token({ signer: rotated }));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(fetches - before, 1, 'refetched for the unknown key id');
  } finally {
    published = [key.jwk];
  }
});

test('bearerToken extracts the token from an Authorization header', () => {
  assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  assert.equal(bearerToken('bearer abc.def.ghi'), 'abc.def.ghi');
  assert.equal(bearerToken('  Bearer   abc.def.ghi  '), 'abc.def.ghi');
  assert.equal(bearerToken(undefined), null);
  assert.equal(bearerToken(''), null);
  assert.equal(bearerToken('Bearer'), null);
  assert.equal(bearerToken('Bearer '), null);
  assert.equal(bearerToken('Basic dXNlcjpwYXNz'), null);
  assert.equal(bearerToken('abc.def.ghi'), null);
  assert.equal(bearerToken('Bearer abc def'), null);
  assert.equal(bearerToken('Token abc'), null);
});
