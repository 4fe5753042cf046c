// Integration: the users service on the real PostgreSQL test database of the users subgraph.
// Every test makes its own accounts (unique emails), client addresses (random, in the IPv6
// documentation prefix) and audit topic, so runs side by side never see each other's data.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { scopesOf } from '@cabinet/platform/access';
import { Auditor } from '@cabinet/platform/audit';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError } from '@cabinet/platform/errors';
import type { AccessAudited, EventEnvelope, StaffProfileChanged } from '@cabinet/platform/events';
import type { Caller, Identity, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { generateKeyEncryptionKey, KeyEncryption } from './auth/key-encryption.ts';
import { KeyRing } from './auth/key-ring.ts';
import { emailKey, LoginThrottle } from './auth/login-throttle.ts';
import type { RefreshSettings } from './domain/refresh-family.ts';
import type { ThrottleSettings } from './domain/throttle-window.ts';
import { entities } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { type AuthPayload, INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN, UsersService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_users`;
const log = createLogger('test', 'silent');
const ISSUER = 'urn:cabinet:users';
const AUDIENCE = 'urn:cabinet:api';
const PASSWORD = 'a good password 42';

let orm: MikroORM;
let keys: KeyRing;
let users: Fixture;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities, migrations });
  keys = new KeyRing({
    orm,
    encryption: new KeyEncryption(generateKeyEncryptionKey()),
    lifecycle: {
      publicationDelaySeconds: 10,
      accessTokenTtlSeconds: 300,
      rotationIntervalSeconds: 0,
      retirementMarginSeconds: 60,
    },
    log,
  });
  await keys.init();
  users = fixture();
});
after(async () => {
  await keys?.stop();
  await orm?.close(true);
});

interface Fixture {
  service: UsersService;
  /** The audit records this fixture's service wrote, oldest first. */
  audit(): Promise<AccessAudited[]>;
  /** The raw outbox payloads of those records. */
  auditPayloads(): Promise<string[]>;
  /** The staff profile events this fixture's service recorded, oldest first. */
  profiles(): Promise<EventEnvelope<StaffProfileChanged>[]>;
  clock: { offsetMs: number };
}

function fixture(options: { throttle?: Partial<ThrottleSettings>; refresh?: Partial<RefreshSettings> } = {}): Fixture {
  const topic = `test-${randomUUID()}.audit`;
  const usersTopic = `test-${randomUUID()}.users`;
  const clock = { offsetMs: 0 };
  const now = () => new Date(Date.now() + clock.offsetMs);
  const service = new UsersService({
    orm,
    log,
    keys,
    tokens: { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 300 },
    refresh: { ttlSeconds: 30 * 86400, idleSeconds: 7 * 86400, ...options.refresh },
    throttle: new LoginThrottle(
      orm,
      {
        windowSeconds: 900,
        maxFailuresPerEmail: 5,
        maxFailuresPerAddress: 20,
        exemptAddresses: ['127.0.0.1'],
        ...options.throttle,
      },
      now,
    ),
    // Records go to this fixture's own topic in the outbox; no relay publishes them here.
    auditor: new Auditor({ service: 'users', orm, topic, onRecorded: () => undefined }),
    topic: usersTopic,
    onEventsRecorded: () => undefined,
    clock: now,
  });
  const payloads = () =>
    sql<{ payload: EventEnvelope<AccessAudited> }>(
      orm.em.fork(),
      'select payload from outbox_event where topic = ? order by occurred_at, id',
      [topic],
    );
  return {
    service,
    clock,
    audit: async () => (await payloads()).map((row) => row.payload.data),
    auditPayloads: async () => (await payloads()).map((row) => JSON.stringify(row.payload)),
    profiles: async () =>
      (
        await sql<{ payload: EventEnvelope<StaffProfileChanged> }>(
          orm.em.fork(),
          'select payload from outbox_event where topic = ? order by occurred_at, id',
          [usersTopic],
        )
      ).map((row) => row.payload),
  };
}

/** A client address no other test (or run) uses. */
const address = (): string => `2001:db8::${randomBytes(6).toString('hex').match(/.{4}/g)?.join(':')}`;
const anonymous = (clientAddress: string | null = address()): Caller => ({
  requestId: randomUUID(),
  clientAddress,
  identity: null,
});
const as = (identity: Identity, clientAddress: string | null = address()): Caller => ({
  requestId: randomUUID(),
  clientAddress,
  identity,
});
const platformAdmin = (): Caller => as({ userId: randomUUID(), role: 'ADMIN', cabinetId: null });
const uniqueEmail = (label: string): string => `${label}-${randomUUID().slice(0, 8)}@test.cabinet.local`;

interface Account {
  id: string;
  email: string;
  identity: Identity;
}

async function account(
  role: Role = 'DOCTOR',
  patch: { cabinetId?: string | null; patientId?: string | null } = {},
  service = users.service,
): Promise<Account> {
  const cabinetId = role === 'ADMIN' ? null : (patch.cabinetId ?? randomUUID());
  const patientId = role === 'PATIENT' ? (patch.patientId ?? randomUUID()) : null;
  const email = uniqueEmail(role.toLowerCase());
  const created = await service.createStaffAccount(platformAdmin(), {
    email,
    password: PASSWORD,
    name: `Test ${role}`,
    role,
    cabinetId,
    patientId,
  });
  return { id: created.id, email, identity: { userId: created.id, role, cabinetId, patientId } };
}

const withCode =
  (code: string, message?: string, field?: string) =>
  (error: unknown): boolean =>
    error instanceof DomainError &&
    error.code === code &&
    (message === undefined || error.message === message) &&
    (field === undefined || error.details.field === field);
const invalidCredentials = withCode('UNAUTHENTICATED', INVALID_CREDENTIALS);
const invalidRefresh = withCode('UNAUTHENTICATED', INVALID_REFRESH_TOKEN);

const verify = (token: string) =>
  jwtVerify(token, createLocalJWKSet(keys.jwks()), { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] });
const sessionOf = async (payload: AuthPayload): Promise<string> =>
  (await verify(payload.accessToken)).payload.sid as string;

test('login issues an access token with the access-model claims, and an opaque refresh token stored only as a hash', async () => {
  const doctor = await account('DOCTOR');
  const payload = await users.service.login(anonymous(), `  ${doctor.email.toUpperCase()} `, PASSWORD);
  assert.equal(payload.tokenType, 'Bearer');
  assert.equal(payload.expiresIn, 300);
  assert.equal(payload.refreshExpiresIn, 7 * 86400);
  assert.equal(payload.user.id, doctor.id);
  const { payload: claims, protectedHeader } = await verify(payload.accessToken);
  assert.equal(protectedHeader.kid, keys.signingKey().kid);
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(claims.sub, doctor.id);
  assert.equal(claims.role, 'DOCTOR');
  assert.equal(claims.cabinet, doctor.identity.cabinetId);
  assert.equal(claims.scope, scopesOf('DOCTOR'));
  assert.match(claims.scope as string, /\bmedicalRecord:write\b/);
  assert.equal('patient' in claims, false, 'only PATIENT tokens name a patient file');
  assert.match(claims.sid as string, /^[0-9a-f-]{36}$/);
  assert.match(claims.jti as string, /^[0-9a-f-]{36}$/);
  assert.equal((claims.exp as number) - (claims.iat as number), 300);

  assert.match(payload.refreshToken, /^[A-Za-z0-9_-]{43}$/);
  const stored = await sql<{ token_hash: string }>(
    orm.em.fork(),
    'select token_hash from refresh_token where session_id = ?',
    [claims.sid],
  );
  assert.deepEqual(
    stored.map((row) => row.token_hash),
    [createHash('sha256').update(payload.refreshToken).digest('hex')],
  );
});

test('a PATIENT token names its patient file; an ADMIN token names no practice', async () => {
  const patient = await account('PATIENT');
  const { payload: claims } = await verify(
    (await users.service.login(anonymous(), patient.email, PASSWORD)).accessToken,
  );
  assert.equal(claims.patient, patient.identity.patientId);
  assert.equal(claims.scope, scopesOf('PATIENT'));
  const admin = await account('ADMIN');
  const adminLogin = await users.service.login(anonymous(), admin.email, PASSWORD);
  assert.equal((await verify(adminLogin.accessToken)).payload.cabinet, null);
  assert.equal(adminLogin.user.cabinetId, null);
});

test('refreshing rotates the token within the session; replaying a used token ends the whole session', async () => {
  const doctor = await account();
  const signedIn = await users.service.login(anonymous(), doctor.email, PASSWORD);
  const sid = await sessionOf(signedIn);
  const first = await users.service.refreshSession(anonymous(), signedIn.refreshToken);
  assert.notEqual(first.refreshToken, signedIn.refreshToken);
  assert.notEqual(first.accessToken, signedIn.accessToken);
  assert.equal(await sessionOf(first), sid, 'same session');
  assert.equal(first.user.id, doctor.id);
  const second = await users.service.refreshSession(anonymous(), first.refreshToken);

  // The first token, already used, comes back: somebody else holds the family.
  await assert.rejects(users.service.refreshSession(anonymous(), signedIn.refreshToken), invalidRefresh);
  await assert.rejects(users.service.refreshSession(anonymous(), second.refreshToken), invalidRefresh, 'revoked too');
  const [session] = await sql<{ revoked_reason: string }>(
    orm.em.fork(),
    'select revoked_reason from auth_session where id = ?',
    [sid],
  );
  assert.equal(session?.revoked_reason, 'TOKEN_REUSED');
  // Other sessions of the account are not affected.
  const other = await users.service.login(anonymous(), doctor.email, PASSWORD);
  await users.service.refreshSession(anonymous(), other.refreshToken);
});

test('two presentations of one token at the same time: one wins, and the session ends', async () => {
  const doctor = await account();
  const signedIn = await users.service.login(anonymous(), doctor.email, PASSWORD);
  const results = await Promise.allSettled([
    users.service.refreshSession(anonymous(), signedIn.refreshToken),
    users.service.refreshSession(anonymous(), signedIn.refreshToken),
  ]);
  const won = results.filter((result) => result.status === 'fulfilled');
  assert.equal(won.length, 1);
  await assert.rejects(
    users.service.refreshSession(anonymous(), (won[0] as PromiseFulfilledResult<AuthPayload>).value.refreshToken),
    invalidRefresh,
  );
});

test('unknown, malformed and idle or expired refresh tokens are refused alike', async () => {
  await assert.rejects(
    users.service.refreshSession(anonymous(), randomBytes(32).toString('base64url')),
    invalidRefresh,
  );
  await assert.rejects(users.service.refreshSession(anonymous(), 'not a token'), invalidRefresh);

  const short = fixture({ refresh: { ttlSeconds: 1200, idleSeconds: 600 } });
  const doctor = await account('DOCTOR', {}, short.service);
  const idle = await short.service.login(anonymous(), doctor.email, PASSWORD);
  assert.equal(idle.refreshExpiresIn, 600);
  const busy = await short.service.login(anonymous(), doctor.email, PASSWORD);
  short.clock.offsetMs = 500 * 1000;
  const kept = await short.service.refreshSession(anonymous(), busy.refreshToken);
  assert.equal(kept.refreshExpiresIn, 600);
  short.clock.offsetMs = 601 * 1000;
  await assert.rejects(short.service.refreshSession(anonymous(), idle.refreshToken), invalidRefresh, 'idle too long');
  short.clock.offsetMs = 900 * 1000;
  const late = await short.service.refreshSession(anonymous(), kept.refreshToken);
  assert.ok(Math.abs(late.refreshExpiresIn - 300) <= 1, 'never past the absolute end of the session');
  short.clock.offsetMs = 1200 * 1000;
  await assert.rejects(short.service.refreshSession(anonymous(), late.refreshToken), invalidRefresh, 'session over');
});

test('logout ends the session of the given refresh token (or of the sid claim), and only that one', async () => {
  const doctor = await account();
  const one = await users.service.login(anonymous(), doctor.email, PASSWORD);
  const two = await users.service.login(anonymous(), doctor.email, PASSWORD);
  const three = await users.service.login(anonymous(), doctor.email, PASSWORD);
  assert.equal(await users.service.logout(as(doctor.identity), one.refreshToken), true);
  await assert.rejects(users.service.refreshSession(anonymous(), one.refreshToken), invalidRefresh);
  assert.equal(await users.service.logout(as(doctor.identity), one.refreshToken), true, 'idempotent');

  // Once the router forwards `sid`, the access token alone names the session.
  const withSid = { ...doctor.identity, sessionId: await sessionOf(two) } as Identity;
  assert.equal(await users.service.logout(as(withSid)), true);
  await assert.rejects(users.service.refreshSession(anonymous(), two.refreshToken), invalidRefresh);

  await users.service.refreshSession(anonymous(), three.refreshToken);
});

test("logout needs a session of the caller: none named, or somebody else's, is refused", async () => {
  const doctor = await account();
  const victim = await account();
  const theirs = await users.service.login(anonymous(), victim.email, PASSWORD);
  await assert.rejects(
    users.service.logout(as(doctor.identity)),
    withCode('BAD_USER_INPUT', undefined, 'refreshToken'),
  );
  await assert.rejects(
    users.service.logout(as(doctor.identity), theirs.refreshToken),
    withCode('BAD_USER_INPUT', undefined, 'refreshToken'),
  );
  await users.service.refreshSession(anonymous(), theirs.refreshToken);
  await assert.rejects(users.service.logout(anonymous(), theirs.refreshToken), withCode('UNAUTHENTICATED'));
});

test('changePassword checks the current password and the policy, then ends every session of the account', async () => {
  const doctor = await account();
  const one = await users.service.login(anonymous(), doctor.email, PASSWORD);
  const two = await users.service.login(anonymous(), doctor.email, PASSWORD);
  const caller = as(doctor.identity);
  const next = 'another good password 43';
  await assert.rejects(
    users.service.changePassword(caller, 'not my password!', next),
    withCode('BAD_USER_INPUT', undefined, 'currentPassword'),
  );
  await assert.rejects(
    users.service.changePassword(caller, PASSWORD, 'short'),
    withCode('BAD_USER_INPUT', undefined, 'newPassword'),
  );
  await assert.rejects(
    users.service.changePassword(caller, PASSWORD, PASSWORD),
    withCode('BAD_USER_INPUT', undefined, 'newPassword'),
  );
  await assert.rejects(users.service.changePassword(anonymous(), PASSWORD, next), withCode('UNAUTHENTICATED'));
  await users.service.refreshSession(anonymous(), one.refreshToken).then((refreshed) => {
    one.refreshToken = refreshed.refreshToken;
  });

  assert.equal(await users.service.changePassword(caller, PASSWORD, next), true);
  await assert.rejects(users.service.refreshSession(anonymous(), one.refreshToken), invalidRefresh);
  await assert.rejects(users.service.refreshSession(anonymous(), two.refreshToken), invalidRefresh);
  await assert.rejects(users.service.login(anonymous(), doctor.email, PASSWORD), invalidCredentials);
  await users.service.login(anonymous(), doctor.email, next);
});

test('failed logins are throttled per email, known or not, with the same answer, even for the right password', async () => {
  const doctor = await account();
  const unknown = uniqueEmail('nobody');
  for (let i = 0; i < 5; i++) {
    // A new address each time: only the limit per email is at work.
    await assert.rejects(users.service.login(anonymous(), doctor.email, `wrong password ${i}`), invalidCredentials);
    await assert.rejects(users.service.login(anonymous(), unknown, `wrong password ${i}`), invalidCredentials);
  }
  await assert.rejects(
    users.service.login(anonymous(), doctor.email, PASSWORD),
    invalidCredentials,
    'right password, refused',
  );
  await assert.rejects(users.service.login(anonymous(), unknown, PASSWORD), invalidCredentials);
  await assert.rejects(
    users.service.login(anonymous(), ` ${doctor.email.toUpperCase()}`, PASSWORD),
    invalidCredentials,
    'normalized',
  );
  // The refusals were not counted: past the window of the five failures, the right password works.
  users.clock.offsetMs = 901 * 1000;
  try {
    await users.service.login(anonymous(), doctor.email, PASSWORD);
  } finally {
    users.clock.offsetMs = 0;
  }
});

test('failed logins are throttled per client address, across emails; exempt addresses only per email', async () => {
  const limited = fixture({ throttle: { maxFailuresPerAddress: 3, exemptAddresses: ['2001:db8::cafe'] } });
  const doctor = await account('DOCTOR', {}, limited.service);
  const attacker = address();
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      limited.service.login(anonymous(attacker), uniqueEmail('spray'), PASSWORD),
      invalidCredentials,
    );
  }
  await assert.rejects(limited.service.login(anonymous(attacker), doctor.email, PASSWORD), invalidCredentials);
  await limited.service.login(anonymous(), doctor.email, PASSWORD);
  await limited.service.login(anonymous(null), doctor.email, PASSWORD);

  for (let i = 0; i < 4; i++) {
    await assert.rejects(
      limited.service.login(anonymous('2001:db8::cafe'), uniqueEmail('spray'), PASSWORD),
      invalidCredentials,
    );
  }
  await limited.service.login(anonymous('2001:db8::cafe'), doctor.email, PASSWORD);
});

test('attempts sent all at once get no more password checks than the limit', async () => {
  const email = uniqueEmail('burst');
  const results = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) => users.service.login(anonymous(), email, `guess number ${i}`)),
  );
  assert.ok(results.every((result) => result.status === 'rejected' && invalidCredentials(result.reason)));
  const [row] = await sql<{ count: string }>(orm.em.fork(), 'select count(*) from login_attempt where email_key = ?', [
    emailKey(email),
  ]);
  assert.ok(Number(row?.count) <= 5, `at most 5 failures recorded, got ${row?.count}`);
});

test('changing the password is throttled like signing in', async () => {
  const doctor = await account();
  const caller = as(doctor.identity);
  for (let i = 0; i < 5; i++) {
    await assert.rejects(users.service.changePassword(caller, `wrong ${i} password`, 'a new password 123'));
  }
  await assert.rejects(
    users.service.changePassword(caller, PASSWORD, 'a new password 123'),
    withCode('BAD_USER_INPUT', undefined, 'currentPassword'),
  );
  await assert.rejects(users.service.login(anonymous(), doctor.email, PASSWORD), invalidCredentials);
});

test('a deactivated account cannot sign in; its answer is the same', async () => {
  const doctor = await account();
  await orm.em.fork().getConnection().execute('update user_account set active = false where id = ?', [doctor.id]);
  await assert.rejects(users.service.login(anonymous(), doctor.email, PASSWORD), invalidCredentials);
});

test('accounts: ADMIN has no practice, staff and patients have one, a patient account is linked to its file', async () => {
  const admin = platformAdmin();
  const base = { password: PASSWORD, name: 'Someone' };
  await assert.rejects(
    users.service.createStaffAccount(admin, {
      ...base,
      email: uniqueEmail('a'),
      role: 'ADMIN',
      cabinetId: randomUUID(),
    }),
    withCode('BAD_USER_INPUT', undefined, 'cabinetId'),
  );
  await assert.rejects(
    users.service.createStaffAccount(admin, { ...base, email: uniqueEmail('s'), role: 'SECRETARY' }),
    withCode('BAD_USER_INPUT', undefined, 'cabinetId'),
  );
  await assert.rejects(
    users.service.createStaffAccount(admin, {
      ...base,
      email: uniqueEmail('p'),
      role: 'PATIENT',
      cabinetId: randomUUID(),
    }),
    withCode('BAD_USER_INPUT', undefined, 'patientId'),
  );
  const patient = await account('PATIENT');
  await assert.rejects(
    users.service.createStaffAccount(admin, {
      ...base,
      email: uniqueEmail('p2'),
      role: 'PATIENT',
      cabinetId: randomUUID(),
      patientId: patient.identity.patientId,
    }),
    withCode('CONFLICT', 'An account is already linked to this patient file'),
  );
  await assert.rejects(
    users.service.createStaffAccount(admin, { ...base, email: patient.email, role: 'ADMIN' }),
    withCode('CONFLICT', 'An account with this email already exists'),
  );
  const view = await users.service.userById(admin, patient.id);
  assert.equal(view.patientId, patient.identity.patientId);
  assert.equal(view.role, 'PATIENT');
});

test('only ADMIN creates accounts; a refusal is audited as DENIED', async () => {
  const f = fixture();
  const secretary = await account('SECRETARY', {}, f.service);
  await assert.rejects(
    f.service.createStaffAccount(as(secretary.identity), {
      email: uniqueEmail('x'),
      password: PASSWORD,
      name: 'X',
      role: 'ADMIN',
    }),
    withCode('FORBIDDEN'),
  );
  const records = await f.audit();
  assert.deepEqual(
    records.map((r) => [r.action, r.outcome, r.reason, r.userId]),
    [
      ['createStaffAccount', 'ALLOWED', null, records[0]?.userId],
      ['createStaffAccount', 'DENIED', 'FORBIDDEN', secretary.id],
    ],
  );
  assert.equal(records[0]?.entityId, secretary.id);
});

test('a user is readable by themselves, by staff of their practice, and by ADMIN', async () => {
  const cabinetId = randomUUID();
  const doctor = await account('DOCTOR', { cabinetId });
  const secretary = await account('SECRETARY', { cabinetId });
  const elsewhere = await account('DOCTOR');
  const patient = await account('PATIENT', { cabinetId });
  assert.equal((await users.service.userById(as(doctor.identity), doctor.id)).id, doctor.id);
  assert.equal((await users.service.userById(as(doctor.identity), secretary.id)).id, secretary.id);
  assert.equal((await users.service.userById(platformAdmin(), elsewhere.id)).id, elsewhere.id);
  await assert.rejects(users.service.userById(as(doctor.identity), elsewhere.id), withCode('NOT_FOUND'));
  await assert.rejects(users.service.userById(as(doctor.identity), 'not-a-uuid'), withCode('NOT_FOUND'));
  await assert.rejects(users.service.userById(as(patient.identity), doctor.id), withCode('FORBIDDEN'));
  assert.equal((await users.service.userById(as(patient.identity), patient.id)).id, patient.id);
  await assert.rejects(users.service.userById(anonymous(), doctor.id), withCode('UNAUTHENTICATED'));
});

test('rotateSigningKey is for ADMIN; it publishes a waiting key and is audited', async () => {
  const f = fixture();
  const doctor = await account('DOCTOR', {}, f.service);
  await assert.rejects(f.service.rotateSigningKey(as(doctor.identity)), withCode('FORBIDDEN'));
  const admin = platformAdmin();
  assert.equal(await f.service.rotateSigningKey(admin), true);
  const waiting = keys.snapshot().find((key) => key.status === 'next');
  assert.ok(waiting, 'a next key is published');
  assert.ok(keys.jwks().keys.some((key) => key.kid === waiting.kid));
  assert.notEqual(keys.signingKey().kid, waiting.kid, 'it does not sign yet');
  const records = (await f.audit()).filter((r) => r.action === 'rotateSigningKey');
  assert.deepEqual(
    records.map((r) => [r.outcome, r.reason, r.userId, r.entityId]),
    [
      ['DENIED', 'FORBIDDEN', doctor.id, null],
      ['ALLOWED', null, admin.identity?.userId, waiting.kid],
    ],
  );
});

test('every mutation leaves an audit record, denials included, with no password or token in it', async () => {
  const f = fixture();
  const doctor = await account('DOCTOR', {}, f.service);
  const client = address();
  await assert.rejects(f.service.login(anonymous(client), doctor.email, 'the wrong password'));
  await assert.rejects(f.service.login(anonymous(client), uniqueEmail('ghost'), 'the wrong password'));
  const signedIn = await f.service.login(anonymous(client), doctor.email, PASSWORD);
  const sid = await sessionOf(signedIn);
  const refreshed = await f.service.refreshSession(anonymous(client), signedIn.refreshToken);
  await assert.rejects(f.service.refreshSession(anonymous(client), signedIn.refreshToken));
  const again = await f.service.login(anonymous(client), doctor.email, PASSWORD);
  await f.service.logout(as(doctor.identity, client), again.refreshToken);
  await assert.rejects(
    f.service.changePassword(as(doctor.identity, client), 'not the password', 'brand new password 1'),
  );
  await f.service.changePassword(as(doctor.identity, client), PASSWORD, 'brand new password 1');

  const records = await f.audit();
  assert.deepEqual(
    records.map((r) => [r.action, r.outcome, r.reason]),
    [
      ['createStaffAccount', 'ALLOWED', null],
      ['login', 'DENIED', 'INVALID_CREDENTIALS'],
      ['login', 'DENIED', 'INVALID_CREDENTIALS'],
      ['login', 'ALLOWED', null],
      ['refreshSession', 'ALLOWED', null],
      ['refreshSession', 'DENIED', 'TOKEN_REUSED'],
      ['login', 'ALLOWED', null],
      ['logout', 'ALLOWED', null],
      ['changePassword', 'DENIED', 'INVALID_CREDENTIALS'],
      ['changePassword', 'ALLOWED', null],
    ],
  );
  const successfulLogin = records[3];
  assert.deepEqual(
    [successfulLogin?.userId, successfulLogin?.role, successfulLogin?.entity, successfulLogin?.entityId],
    [doctor.id, 'DOCTOR', 'Session', sid],
    'a sign-in is recorded as the user who signed in',
  );
  assert.equal(records[1]?.entityId, doctor.id, 'a failure on a known account names it');
  assert.equal(records[2]?.entityId, null);
  assert.equal(records[5]?.entityId, sid, 'the replayed session');
  assert.ok(
    records.every((r) => r.service === 'users' && (r.action === 'createStaffAccount' || r.clientAddress === client)),
  );

  const everything = (await f.auditPayloads()).join('\n');
  for (const secret of [
    PASSWORD,
    'the wrong password',
    'not the password',
    'brand new password 1',
    signedIn.refreshToken,
    refreshed.refreshToken,
    again.refreshToken,
    signedIn.accessToken.split('.')[2] as string,
  ]) {
    assert.equal(everything.includes(secret), false, 'no password or token in audit records');
  }
});

test('an unknown email and a wrong password take comparable time (median of 5 each, within 3x)', async () => {
  const f = fixture({ throttle: { maxFailuresPerEmail: 100 } });
  const doctor = await account('DOCTOR', {}, f.service);
  const timed = async (email: string): Promise<number> => {
    const started = process.hrtime.bigint();
    await assert.rejects(f.service.login(anonymous(), email, 'not the password at all'), invalidCredentials);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  await timed(doctor.email); // warm-up
  await timed(uniqueEmail('warm'));
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 5; i++) {
    unknown.push(await timed(uniqueEmail('nobody')));
    wrong.push(await timed(doctor.email));
  }
  const median = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const [u, w] = [median(unknown), median(wrong)];
  console.log(`# login failure medians: unknown email ${u.toFixed(1)} ms, wrong password ${w.toFixed(1)} ms`);
  assert.ok(Math.max(u, w) / Math.min(u, w) < 3, `unknown ${u} ms vs wrong password ${w} ms`);
});

// Staff account management: edits, deactivation, the staff list, one's own profile.

/** An account with a name of its choosing, created by a platform admin. */
async function named(
  name: string,
  role: Role,
  cabinetId: string | null,
  service = users.service,
): Promise<Account & { name: string }> {
  const email = uniqueEmail(role.toLowerCase());
  const patientId = role === 'PATIENT' ? randomUUID() : null;
  const created = await service.createStaffAccount(platformAdmin(), {
    email,
    password: PASSWORD,
    name,
    role,
    cabinetId,
    patientId,
  });
  return { id: created.id, email, name, identity: { userId: created.id, role, cabinetId, patientId } };
}

/** Letters only, unique enough to find one test's accounts among everybody's. */
const tag = (): string => Array.from(randomBytes(8), (byte) => String.fromCharCode(97 + (byte % 26))).join('');

test('an admin edits an account; without a password the old one still works and sessions go on', async () => {
  const f = fixture();
  const doctor = await account('DOCTOR', {}, f.service);
  const session = await f.service.login(anonymous(), doctor.email, PASSWORD);
  const admin = platformAdmin();
  const email = uniqueEmail('renamed');
  const edited = await f.service.updateStaffAccount(admin, doctor.id, {
    email: email.toUpperCase(),
    name: ' Dr Anne Martin ',
    phone: '+33 6 12 34 56 78',
    password: '',
  });
  assert.deepEqual(
    [edited.id, edited.email, edited.name, edited.phone, edited.role, edited.cabinetId, edited.active],
    [doctor.id, email, 'Dr Anne Martin', '+33 6 12 34 56 78', 'DOCTOR', doctor.identity.cabinetId, true],
  );
  assert.equal((await f.service.login(anonymous(), email, PASSWORD)).user.id, doctor.id, 'old password, new email');
  await f.service.refreshSession(anonymous(), session.refreshToken);
  const unchanged = await f.service.updateStaffAccount(admin, doctor.id, { password: null });
  assert.equal(unchanged.email, email);
  const records = (await f.audit()).filter((r) => r.action === 'updateStaffAccount');
  assert.deepEqual(
    records.map((r) => [r.outcome, r.reason, r.entityId, r.userId]),
    [
      ['ALLOWED', null, doctor.id, admin.identity?.userId],
      ['ALLOWED', null, doctor.id, admin.identity?.userId],
    ],
  );
});

test('a new password set by an admin follows the policy and ends every session of the account', async () => {
  const f = fixture();
  const secretary = await account('SECRETARY', {}, f.service);
  const first = await f.service.login(anonymous(), secretary.email, PASSWORD);
  const second = await f.service.login(anonymous(), secretary.email, PASSWORD);
  await assert.rejects(
    f.service.updateStaffAccount(platformAdmin(), secretary.id, { password: 'short' }),
    withCode('BAD_USER_INPUT', undefined, 'password'),
  );
  await f.service.refreshSession(anonymous(), first.refreshToken).then((next) => {
    first.refreshToken = next.refreshToken;
  });
  await f.service.updateStaffAccount(platformAdmin(), secretary.id, { password: 'a password set by the admin' });
  await assert.rejects(f.service.refreshSession(anonymous(), first.refreshToken), invalidRefresh);
  await assert.rejects(f.service.refreshSession(anonymous(), second.refreshToken), invalidRefresh);
  await assert.rejects(f.service.login(anonymous(), secretary.email, PASSWORD), invalidCredentials);
  assert.equal(
    (await f.service.login(anonymous(), secretary.email, 'a password set by the admin')).user.id,
    secretary.id,
  );
  const records = (await f.audit()).filter((r) => r.action === 'updateStaffAccount');
  assert.deepEqual(
    records.map((r) => [r.outcome, r.reason]),
    [
      ['DENIED', 'BAD_USER_INPUT'],
      ['ALLOWED', 'PASSWORD_RESET'],
    ],
  );
  const everything = (await f.auditPayloads()).join('\n');
  assert.equal(everything.includes('a password set by the admin'), false, 'no password in audit records');
});

test('account edits: role rules as at creation, unique email, unknown ids, own role, and only for ADMIN', async () => {
  const f = fixture();
  const doctor = await account('DOCTOR', {}, f.service);
  const other = await account('SECRETARY', {}, f.service);
  const admin = await account('ADMIN', {}, f.service);
  const edit = (
    patch: Parameters<UsersService['updateStaffAccount']>[2],
    caller = as(admin.identity),
    id = doctor.id,
  ) => f.service.updateStaffAccount(caller, id, patch);
  await assert.rejects(edit({ role: 'ADMIN' }), withCode('BAD_USER_INPUT', undefined, 'cabinetId'));
  await assert.rejects(edit({ role: 'PATIENT' }), withCode('BAD_USER_INPUT', undefined, 'patientId'));
  await assert.rejects(edit({ cabinetId: null }), withCode('BAD_USER_INPUT', undefined, 'cabinetId'));
  await assert.rejects(edit({ email: null }), withCode('BAD_USER_INPUT', undefined, 'email'));
  await assert.rejects(edit({ phone: 'not a phone' }), withCode('BAD_USER_INPUT', undefined, 'phone'));
  await assert.rejects(edit({ email: other.email }), withCode('CONFLICT', 'An account with this email already exists'));
  await assert.rejects(edit({ name: 'Ghost' }, as(admin.identity), randomUUID()), withCode('NOT_FOUND'));
  await assert.rejects(edit({ name: 'Ghost' }, as(admin.identity), 'not-a-uuid'), withCode('NOT_FOUND'));
  await assert.rejects(
    edit({ role: 'DOCTOR', cabinetId: randomUUID() }, as(admin.identity), admin.id),
    withCode('BAD_USER_INPUT', undefined, 'role'),
  );
  await assert.rejects(edit({ name: 'Mine now' }, as(other.identity)), withCode('FORBIDDEN'));
  await assert.rejects(edit({ name: 'Mine now' }, anonymous()), withCode('UNAUTHENTICATED'));
  const moved = await edit({ role: 'ADMIN', cabinetId: null });
  assert.deepEqual([moved.role, moved.cabinetId, moved.name], ['ADMIN', null, 'Test DOCTOR']);
  const own = await edit({ name: 'Admin Renamed' }, as(admin.identity), admin.id);
  assert.equal(own.name, 'Admin Renamed');
  const records = (await f.audit()).filter((r) => r.action === 'updateStaffAccount');
  assert.deepEqual(
    records.map((r) => [r.outcome, r.reason]),
    [
      ...Array.from({ length: 5 }, () => ['DENIED', 'BAD_USER_INPUT']),
      ['DENIED', 'CONFLICT'],
      ['DENIED', 'NOT_FOUND'],
      ['DENIED', 'NOT_FOUND'],
      ['DENIED', 'BAD_USER_INPUT'],
      ['DENIED', 'FORBIDDEN'],
      ['DENIED', 'UNAUTHENTICATED'],
      ['ALLOWED', null],
      ['ALLOWED', null],
    ],
  );
  const stored = await users.service.userById(platformAdmin(), other.id);
  assert.equal(stored.name, 'Test SECRETARY', 'refused edits changed nothing');
});

test('deactivation ends the sessions and sign-ins of an account; reactivation lets it sign in again', async () => {
  const f = fixture();
  const doctor = await account('DOCTOR', {}, f.service);
  const session = await f.service.login(anonymous(), doctor.email, PASSWORD);
  const admin = await account('ADMIN', {}, f.service);
  const deactivated = await f.service.deactivateStaffAccount(as(admin.identity), doctor.id);
  assert.equal(deactivated.active, false);
  await assert.rejects(f.service.refreshSession(anonymous(), session.refreshToken), invalidRefresh);
  await assert.rejects(f.service.login(anonymous(), doctor.email, PASSWORD), invalidCredentials);
  await assert.rejects(
    f.service.updateMyProfile(as(doctor.identity), { name: 'Still here' }),
    withCode('UNAUTHENTICATED'),
  );
  const [revoked] = await sql<{ revoked_reason: string }>(
    orm.em.fork(),
    'select revoked_reason from auth_session where user_id = ?',
    [doctor.id],
  );
  assert.equal(revoked?.revoked_reason, 'ACCOUNT_DEACTIVATED');
  await assert.rejects(f.service.deactivateStaffAccount(as(admin.identity), doctor.id), withCode('CONFLICT'));
  const reactivated = await f.service.reactivateStaffAccount(as(admin.identity), doctor.id);
  assert.equal(reactivated.active, true);
  assert.equal((await f.service.login(anonymous(), doctor.email, PASSWORD)).user.id, doctor.id);
  await assert.rejects(f.service.reactivateStaffAccount(as(admin.identity), doctor.id), withCode('CONFLICT'));
  const records = (await f.audit()).filter((r) => r.action.endsWith('activateStaffAccount'));
  assert.deepEqual(
    records.map((r) => [r.action, r.outcome, r.reason, r.entityId]),
    [
      ['deactivateStaffAccount', 'ALLOWED', null, doctor.id],
      ['deactivateStaffAccount', 'DENIED', 'CONFLICT', doctor.id],
      ['reactivateStaffAccount', 'ALLOWED', null, doctor.id],
      ['reactivateStaffAccount', 'DENIED', 'CONFLICT', doctor.id],
    ],
  );
});

test('an admin cannot deactivate their own account; only ADMIN (de)activates; unknown ids are NOT_FOUND', async () => {
  const f = fixture();
  const admin = await account('ADMIN', {}, f.service);
  const secretary = await account('SECRETARY', {}, f.service);
  await assert.rejects(
    f.service.deactivateStaffAccount(as(admin.identity), admin.id),
    withCode('BAD_USER_INPUT', undefined, 'id'),
  );
  assert.equal((await f.service.login(anonymous(), admin.email, PASSWORD)).user.id, admin.id, 'still active');
  await assert.rejects(f.service.deactivateStaffAccount(as(secretary.identity), secretary.id), withCode('FORBIDDEN'));
  await assert.rejects(f.service.reactivateStaffAccount(as(secretary.identity), secretary.id), withCode('FORBIDDEN'));
  await assert.rejects(f.service.deactivateStaffAccount(as(admin.identity), randomUUID()), withCode('NOT_FOUND'));
  await assert.rejects(f.service.reactivateStaffAccount(anonymous(), secretary.id), withCode('UNAUTHENTICATED'));
  const records = (await f.audit()).filter((r) => r.action.endsWith('activateStaffAccount'));
  assert.deepEqual(
    records.map((r) => [r.action, r.outcome, r.reason]),
    [
      ['deactivateStaffAccount', 'DENIED', 'BAD_USER_INPUT'],
      ['deactivateStaffAccount', 'DENIED', 'FORBIDDEN'],
      ['reactivateStaffAccount', 'DENIED', 'FORBIDDEN'],
      ['deactivateStaffAccount', 'DENIED', 'NOT_FOUND'],
      ['reactivateStaffAccount', 'DENIED', 'UNAUTHENTICATED'],
    ],
  );
});

test('the staff list finds names and emails ignoring case and accents, by name, a page at a time', async () => {
  const cabinetId = randomUUID();
  const t = tag();
  const helene = await named(`Hélène Dupré ${t}`, 'DOCTOR', cabinetId);
  const zoe = await named(`Zoé Œrsted ${t}`, 'SECRETARY', cabinetId);
  const aline = await named(`Aline Marchand ${t}`, 'DOCTOR', cabinetId);
  const admin = platformAdmin();
  const list = async (filter: Record<string, unknown>, page: { limit?: number; offset?: number } = {}) =>
    (await users.service.staffAccounts(admin, { filter, ...page })).map((u) => u.id);
  assert.deepEqual(await list({ text: `helene dupre ${t}` }), [helene.id]);
  assert.deepEqual(await list({ text: `HÉLÈNE DUPRÉ ${t.toUpperCase()}` }), [helene.id]);
  assert.deepEqual(await list({ text: `oersted ${t}` }), [zoe.id], 'Œ is OE');
  assert.deepEqual(await list({ text: t }), [aline.id, helene.id, zoe.id], 'by name');
  assert.deepEqual(await list({ text: helene.email.toUpperCase() }), [helene.id], 'emails too');
  assert.deepEqual(await list({ text: t }, { limit: 2 }), [aline.id, helene.id]);
  assert.deepEqual(await list({ text: t }, { limit: 2, offset: 2 }), [zoe.id]);
  assert.deepEqual(await list({ cabinetId }), [aline.id, helene.id, zoe.id]);
  assert.deepEqual(await list({ cabinetId, role: 'SECRETARY' }), [zoe.id]);
  assert.deepEqual(await list({ text: `${t}%` }), [], 'wildcards are literal');
  await users.service.deactivateStaffAccount(admin, aline.id);
  assert.deepEqual(await list({ cabinetId, active: false }), [aline.id]);
  assert.deepEqual(await list({ cabinetId, active: true }), [helene.id, zoe.id]);
  const [first] = await users.service.staffAccounts(admin, { filter: { text: `dupre ${t}` } });
  assert.deepEqual(
    [first?.email, first?.role, first?.cabinetId, first?.active, first?.phone, first?.signature],
    [helene.email, 'DOCTOR', cabinetId, true, null, null],
  );
  await assert.rejects(
    users.service.staffAccounts(admin, { limit: 101 }),
    withCode('BAD_USER_INPUT', undefined, 'limit'),
  );
  await assert.rejects(
    users.service.staffAccounts(admin, { limit: 0 }),
    withCode('BAD_USER_INPUT', undefined, 'limit'),
  );
});

test('practice staff list the doctors and secretaries of their own practice; another practice is NOT_FOUND', async () => {
  const f = fixture();
  const cabinetId = randomUUID();
  const elsewhere = randomUUID();
  const t = tag();
  const doctor = await named(`Doctor ${t}`, 'DOCTOR', cabinetId, f.service);
  const secretary = await named(`Secretary ${t}`, 'SECRETARY', cabinetId, f.service);
  const patient = await named(`Patient ${t}`, 'PATIENT', cabinetId, f.service);
  const outsider = await named(`Outsider ${t}`, 'DOCTOR', elsewhere, f.service);
  const admin = await named(`Admin ${t}`, 'ADMIN', null, f.service);
  const ids = async (caller: Caller, filter: Record<string, unknown> = {}) =>
    (await f.service.staffAccounts(caller, { filter: { text: t, ...filter } })).map((u) => u.id);
  assert.deepEqual(await ids(as(secretary.identity)), [doctor.id, secretary.id]);
  assert.deepEqual(await ids(as(doctor.identity), { cabinetId }), [doctor.id, secretary.id]);
  assert.deepEqual(await ids(as(doctor.identity), { role: 'PATIENT' }), [], 'no patient accounts');
  assert.deepEqual(await ids(as(outsider.identity)), [outsider.id]);
  assert.deepEqual(await ids(as(admin.identity)), [admin.id, doctor.id, outsider.id, patient.id, secretary.id]);
  await assert.rejects(
    f.service.staffAccounts(as(secretary.identity), { filter: { cabinetId: elsewhere } }),
    withCode('NOT_FOUND'),
  );
  await assert.rejects(f.service.staffAccounts(as(patient.identity), {}), withCode('FORBIDDEN'));
  await assert.rejects(f.service.staffAccounts(anonymous(), {}), withCode('UNAUTHENTICATED'));
  const denied = (await f.audit()).filter((r) => r.outcome === 'DENIED');
  assert.deepEqual(
    denied.map((r) => [r.action, r.reason, r.userId, r.entityId]),
    [
      ['staff:read', 'NOT_FOUND', secretary.id, elsewhere],
      ['staff:read', 'FORBIDDEN', patient.id, null],
      ['staff:read', 'UNAUTHENTICATED', null, null],
    ],
  );
});

test('anyone signed in edits their own profile: name, phone, signature; validated and audited', async () => {
  const f = fixture();
  const doctor = await account('DOCTOR', {}, f.service);
  const me = as(doctor.identity);
  const signature = 'Dr A. Martin — Médecin généraliste';
  const updated = await f.service.updateMyProfile(me, {
    name: ' Anne Martin ',
    phone: '06 12 34 56 78',
    signature: `  ${signature} `,
  });
  assert.deepEqual(
    [updated.id, updated.name, updated.phone, updated.signature],
    [doctor.id, 'Anne Martin', '06 12 34 56 78', signature],
  );
  const seen = await f.service.me(me);
  assert.deepEqual([seen.name, seen.phone, seen.signature], ['Anne Martin', '06 12 34 56 78', signature]);
  const cleared = await f.service.updateMyProfile(me, { phone: '' });
  assert.deepEqual([cleared.name, cleared.phone, cleared.signature], ['Anne Martin', null, signature]);
  await assert.rejects(
    f.service.updateMyProfile(me, { signature: 'x'.repeat(201) }),
    withCode('BAD_USER_INPUT', undefined, 'signature'),
  );
  await assert.rejects(f.service.updateMyProfile(me, { phone: '42' }), withCode('BAD_USER_INPUT', undefined, 'phone'));
  await assert.rejects(f.service.updateMyProfile(me, { name: null }), withCode('BAD_USER_INPUT', undefined, 'name'));
  await assert.rejects(f.service.updateMyProfile(anonymous(), { name: 'Nobody' }), withCode('UNAUTHENTICATED'));
  const patient = await account('PATIENT', {}, f.service);
  assert.equal(
    (await f.service.updateMyProfile(as(patient.identity), { phone: '+33 1 23 45 67 89' })).phone,
    '+33 1 23 45 67 89',
  );
  assert.equal((await f.service.me(me)).signature, signature, 'refused edits changed nothing');
  const records = (await f.audit()).filter((r) => r.action === 'updateMyProfile');
  assert.deepEqual(
    records.map((r) => [r.outcome, r.reason, r.userId, r.entityId]),
    [
      ['ALLOWED', null, doctor.id, doctor.id],
      ['ALLOWED', null, doctor.id, doctor.id],
      ['DENIED', 'BAD_USER_INPUT', doctor.id, doctor.id],
      ['DENIED', 'BAD_USER_INPUT', doctor.id, doctor.id],
      ['DENIED', 'BAD_USER_INPUT', doctor.id, doctor.id],
      ['DENIED', 'UNAUTHENTICATED', null, null],
      ['ALLOWED', null, patient.id, patient.id],
    ],
  );
});

test('two edits of different fields at the same time both stick', async () => {
  const doctor = await account('DOCTOR');
  const admin = platformAdmin();
  const email = uniqueEmail('both');
  await Promise.all([
    users.service.updateStaffAccount(admin, doctor.id, { phone: '01 23 45 67 89' }),
    users.service.updateStaffAccount(admin, doctor.id, { email, password: 'a concurrent new password' }),
    users.service.updateMyProfile(as(doctor.identity), { signature: 'Dr Concurrent' }),
  ]);
  const stored = await users.service.userById(admin, doctor.id);
  assert.deepEqual([stored.phone, stored.email, stored.signature], ['01 23 45 67 89', email, 'Dr Concurrent']);
  assert.equal((await users.service.login(anonymous(), email, 'a concurrent new password')).user.id, doctor.id);
});

test('creating, editing and self-editing a staff account announce its profile in the same transaction', async () => {
  const f = fixture();
  const doctor = await account('DOCTOR', {}, f.service);
  await f.service.updateStaffAccount(platformAdmin(), doctor.id, { name: 'Dr Anne Martin' });
  await f.service.updateMyProfile(as(doctor.identity), { signature: 'Dr A. Martin, RPPS 10101010101' });
  // Refused edits announce nothing; a patient's account is never announced.
  await assert.rejects(f.service.updateMyProfile(as(doctor.identity), { phone: '42' }), withCode('BAD_USER_INPUT'));
  const patient = await account('PATIENT', {}, f.service);
  await f.service.updateMyProfile(as(patient.identity), { name: 'Paul Patient' });
  const events = await f.profiles();
  assert.ok(events.every((event) => event.type === 'users.StaffProfileChanged.v1'));
  assert.deepEqual(
    events.map((event) => event.data),
    [
      { userId: doctor.id, role: 'DOCTOR', cabinetId: doctor.identity.cabinetId, name: 'Test DOCTOR', signature: null },
      {
        userId: doctor.id,
        role: 'DOCTOR',
        cabinetId: doctor.identity.cabinetId,
        name: 'Dr Anne Martin',
        signature: null,
      },
      {
        userId: doctor.id,
        role: 'DOCTOR',
        cabinetId: doctor.identity.cabinetId,
        name: 'Dr Anne Martin',
        signature: 'Dr A. Martin, RPPS 10101010101',
      },
    ],
  );
  assert.deepEqual(
    events.map((event) => [event.source, event.cabinetId, event.actor?.role]),
    [
      ['users', doctor.identity.cabinetId, 'ADMIN'],
      ['users', doctor.identity.cabinetId, 'ADMIN'],
      ['users', doctor.identity.cabinetId, 'DOCTOR'],
    ],
  );
});
