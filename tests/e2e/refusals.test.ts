import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, test } from 'node:test';
import { signCallerToken } from '@cabinet/platform/caller-token';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { gql, login, staffMember, subscribe } from '../support/client.ts';
import {
  exitWhenIdle,
  JWT_AUDIENCE,
  JWT_ISSUER,
  startTestSystem,
  type TestSystem,
  uniqueEmail,
} from '../support/system.ts';

let system: TestSystem;
let adminToken: string;
let adminId: string;
let kid: string;
before(async () => {
  system = await startTestSystem();
  ({ token: adminToken, userId: adminId } = await login(system.url, system.admin.email, system.admin.password));
  kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(system.signingKey)));
});
after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const ME = '{ me { id role } }';

interface Forgery {
  key?: KeyObject;
  kid?: string;
  audience?: string;
  issuer?: string;
  expiresIn?: string | number;
}

function forge(options: Forgery = {}): Promise<string> {
  return new SignJWT({ role: 'ADMIN', cabinet: system.admin.cabinetId })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? kid })
    .setSubject(adminId)
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? system.signingKey);
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function assertRefused(token: string | undefined, message: RegExp): Promise<void> {
  const response = await gql(system.url, ME, {}, token);
  assert.equal(response.status, 401);
  assert.equal(response.data, undefined, 'nothing is served');
  assert.equal(response.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.match(response.errors?.[0]?.message ?? '', message);
  assert.match(response.errors?.[0]?.extensions?.requestId ?? '', /^[0-9a-f-]{36}$/);
}

test('a genuine token is accepted (the control for every refusal below)', async () => {
  const response = await gql(system.url, ME, {}, await forge());
  assert.deepEqual(response.data, { me: { id: adminId, role: 'ADMIN' } });
});

test('no token: 401 UNAUTHENTICATED', async () => {
  await assertRefused(undefined, /Authentication required/);
});

test('an expired token is refused', async () => {
  await assertRefused(await forge({ expiresIn: Math.floor(Date.now() / 1000) - 60 }), /expired/);
});

test('an alg "none" token is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
    sub: adminId,
    role: 'ADMIN',
    cabinet: system.admin.cabinetId,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    iat: now,
    exp: now + 300,
  })}.`;
  await assertRefused(unsigned, /rejected/);
});

test('a token signed by another key is refused, whatever key id it claims', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await assertRefused(await forge({ key: privateKey }), /signature/);
  await assertRefused(await forge({ key: privateKey, kid: 'some-other-key' }), /unknown key/);
});

test('a token for another audience or from another issuer is refused', async () => {
  await assertRefused(await forge({ audience: 'urn:someone:else' }), /aud/);
  await assertRefused(await forge({ issuer: 'urn:evil:issuer' }), /iss/);
});

test('a token signed HS256 with the public key as secret is refused', async () => {
  const publicPem = createPublicKey(system.signingKey).export({ type: 'spki', format: 'pem' }).toString();
  const token = await new SignJWT({ role: 'ADMIN', cabinet: system.admin.cabinetId })
    .setProtectedHeader({ alg: 'HS256', kid })
    .setSubject(adminId)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(publicPem));
  await assertRefused(token, /algorithm not allowed/);
});

test('garbage and malformed Authorization headers are refused', async () => {
  await assertRefused('not.a.jwt', /malformed/);
  const response = await gql(system.url, ME, {}, undefined, { authorization: `Basic ${btoa('a:b')}` });
  assert.equal(response.status, 401);
});

test('a WebSocket without a valid token is closed with 4401', async () => {
  const query = 'subscription { notificationAdded { id } }';
  for (const token of [null, 'garbage', await forge({ expiresIn: Math.floor(Date.now() / 1000) - 60 })]) {
    const feed = await subscribe(system.wsUrl, token, query);
    await assert.rejects(feed.next(3000), (error: { code?: number; reason?: string }) => {
      assert.equal(error.code, 4401);
      assert.match(error.reason ?? '', /Unauthorized/);
      return true;
    });
    await feed.close();
  }
});

test('a request sent straight to a subgraph, without the router credential, is refused', async () => {
  for (const url of Object.values(system.subgraphs)) {
    const bare = await gql(url, '{ __typename }');
    assert.equal(bare.status, 401);
    assert.equal(bare.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    // An end-user access token is not a router credential either.
    const withUserToken = await gql(url, '{ __typename }', {}, adminToken);
    assert.equal(withUserToken.status, 401);
    // Nor is a caller token minted with another secret.
    const forged = await signCallerToken('x'.repeat(43), {
      subject: adminId,
      requestId: crypto.randomUUID(),
      clientAddress: null,
      claims: { role: 'ADMIN', cabinet: system.admin.cabinetId },
    });
    const withForged = await gql(url, '{ __typename }', {}, undefined, { 'x-caller-token': forged });
    assert.equal(withForged.status, 401);
  }
});

test('a patient of another practice cannot be read, listed or guessed', async () => {
  const secretary = await staffMember(system.url, adminToken, {
    email: uniqueEmail('secretary'),
    role: 'SECRETARY',
    cabinetId: system.admin.cabinetId,
  });
  const registered = await gql(
    system.url,
    'mutation { registerPatient(input: { firstName: "Claire", lastName: "Secret", birthDate: "1975-03-03" }) { id } }',
    {},
    secretary.token,
  );
  const patientId = registered.data?.registerPatient.id as string;
  const elsewhere = await staffMember(system.url, adminToken, {
    email: uniqueEmail('doctor-elsewhere'),
    role: 'DOCTOR',
    cabinetId: crypto.randomUUID(),
  });
  const read = await gql(
    system.url,
    'query P($id: ID!) { patient(id: $id) { id lastName } }',
    { id: patientId },
    elsewhere.token,
  );
  assert.equal(read.data, null);
  assert.equal(read.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assert.doesNotMatch(JSON.stringify(read), /Secret|Claire/);
  // Indistinguishable from an id that does not exist at all.
  const unknown = await gql(
    system.url,
    'query P($id: ID!) { patient(id: $id) { id } }',
    { id: crypto.randomUUID() },
    elsewhere.token,
  );
  assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  const list = await gql(system.url, '{ patients { id } }', {}, elsewhere.token);
  assert.deepEqual(list.data?.patients, []);
  // The owning practice still reads it.
  const own = await gql(
    system.url,
    'query P($id: ID!) { patient(id: $id) { lastName } }',
    { id: patientId },
    secretary.token,
  );
  assert.deepEqual(own.data?.patient, { lastName: 'Secret' });
});

test('a secretary cannot create staff accounts; bad input is refused and changes nothing', async () => {
  const secretary = await staffMember(system.url, adminToken, {
    email: uniqueEmail('secretary'),
    role: 'SECRETARY',
    cabinetId: system.admin.cabinetId,
  });
  const email = uniqueEmail('intruder');
  const attempt = await gql(
    system.url,
    'mutation C($input: CreateStaffAccountInput!) { createStaffAccount(input: $input) { id } }',
    { input: { email, password: 'a long password 42', name: 'Intruder', role: 'ADMIN' } },
    secretary.token,
  );
  assert.equal(attempt.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  await assert.rejects(login(system.url, email, 'a long password 42'), /login failed/);

  const invalid = await gql(
    system.url,
    'mutation { registerPatient(input: { firstName: "Tom", lastName: "Future", birthDate: "2999-01-01" }) { id } }',
    {},
    secretary.token,
  );
  assert.equal(invalid.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.equal(invalid.errors?.[0]?.extensions?.field, 'birthDate');
  const search = await gql(system.url, '{ patients(search: "Future") { id } }', {}, secretary.token);
  assert.deepEqual(search.data?.patients, [], 'nothing was stored');
});

test('a wrong password and an unknown email get the same answer', async () => {
  const unknownEmail = await gql(
    system.url,
    'mutation { login(email: "nobody@nowhere.test", password: "y") { accessToken } }',
  );
  const wrongPassword = await gql(
    system.url,
    'mutation L($e: String!) { login(email: $e, password: "whatever it is") { accessToken } }',
    { e: system.admin.email },
  );
  assert.equal(unknownEmail.errors?.[0]?.message, 'Invalid email or password');
  assert.equal(wrongPassword.errors?.[0]?.message, unknownEmail.errors?.[0]?.message);
  assert.equal(wrongPassword.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(unknownEmail.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
});
