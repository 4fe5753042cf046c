import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  buildASTSchema,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isObjectType,
  isScalarType,
  parse,
} from 'graphql';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { type AuditFilter, type AuditRow, auditRecords, waitForAuditRecords } from '../support/audit.ts';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD, waitFor } from '../support/client.ts';
import { gqlRaw, postGraphQL, type RawGraphQLResponse } from '../support/http.ts';
import {
  exitWhenIdle,
  JWT_AUDIENCE,
  JWT_ISSUER,
  startTestSystem,
  type TestSystem,
  uniqueEmail,
} from '../support/system.ts';

// The hostile suite, through the router only: each attempt is refused, the refusal tells the
// attacker nothing (no stack, no SQL, no internal URL, no other patient's name), and it reaches
// the audit trail, found again by the request id the attacker was given.

const SUPERGRAPH = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
// The supergraph carries its own directive definitions: it builds as it is.
const SCHEMA: GraphQLSchema = buildASTSchema(parse(SUPERGRAPH), { assumeValidSDL: true });
const fieldExists = (type: string, field: string): boolean => {
  const named = SCHEMA.getType(type);
  return isObjectType(named) && field in named.getFields();
};
const HAS_ALLERGIES = fieldExists('Patient', 'allergies') && fieldExists('Mutation', 'removeAllergy');

interface Account {
  email: string;
  password: string;
  userId: string;
  token: string;
}
interface PatientFile {
  id: string;
  firstName: string;
  lastName: string;
}

let system: TestSystem;
let admin: Account;
let doctor: Account;
let secretary: Account;
let outsider: Account;
/** A PATIENT account, linked to `ownFile`. */
let patient: Account;
const otherPractice = randomUUID();
/** The patient everyone below reaches for. */
let victim: PatientFile;
let ownFile: PatientFile;
/** An allergy of `victim`, recorded by its doctor (clinical data). */
let allergy: { id: string; substance: string };
/** The practice's notification of `victim`'s registration. */
let victimNotification: string;
let kid: string;
/** Audit searches start here (a little before, for clocks). */
const testStart = new Date(Date.now() - 5_000).toISOString();

const letters = (length = 10): string =>
  Array.from(randomBytes(length), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
const uniqueName = (prefix: string): string => `${prefix}${letters()}`;

async function createAccount(input: { role: string; cabinetId?: string; patientId?: string }): Promise<Account> {
  const email = uniqueEmail(`hostile-${input.role.toLowerCase()}`);
  const created = await gql(
    system.url,
    STAFF_ACCOUNT,
    { input: { ...input, email, password: STAFF_PASSWORD, name: 'Hostile Suite' } },
    admin.token,
  );
  if (!created.data?.createStaffAccount) throw new Error(`account not created: ${JSON.stringify(created.errors)}`);
  return { email, password: STAFF_PASSWORD, ...(await login(system.url, email, STAFF_PASSWORD)) };
}

const REGISTER = 'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }';

async function registerFile(prefix: string): Promise<PatientFile> {
  const firstName = uniqueName('Fn');
  const lastName = uniqueName(prefix);
  const response = await gql(
    system.url,
    REGISTER,
    { input: { firstName, lastName, birthDate: '1968-07-14' } },
    secretary.token,
  );
  const id = response.data?.registerPatient?.id;
  if (!id) throw new Error(`registerPatient failed: ${JSON.stringify(response.errors)}`);
  return { id, firstName, lastName };
}

before(async () => {
  system = await startTestSystem();
  admin = {
    email: system.admin.email,
    password: system.admin.password,
    ...(await login(system.url, system.admin.email, system.admin.password)),
  };
  kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(system.signingKey)));
  const practice = system.admin.cabinetId;
  doctor = await createAccount({ role: 'DOCTOR', cabinetId: practice });
  secretary = await createAccount({ role: 'SECRETARY', cabinetId: practice });
  outsider = await createAccount({ role: 'DOCTOR', cabinetId: otherPractice });
  victim = await registerFile('Victim');
  ownFile = await registerFile('Own');
  patient = await createAccount({ role: 'PATIENT', cabinetId: practice, patientId: ownFile.id });
  if (HAS_ALLERGIES) {
    const substance = uniqueName('Secretsubstance');
    const recorded = await gql(
      system.url,
      'mutation R($p: ID!, $i: AllergyInput!) { recordAllergy(patientId: $p, input: $i) { id } }',
      { p: victim.id, i: { substance, severity: 'SEVERE', reaction: 'anaphylaxis' } },
      doctor.token,
    );
    const id = recorded.data?.recordAllergy?.id;
    if (!id) throw new Error(`recordAllergy failed: ${JSON.stringify(recorded.errors)}`);
    allergy = { id, substance };
  }
  victimNotification = await waitFor(async () => {
    const bell = await gql(system.url, '{ myNotifications(limit: 100) { id body } }', {}, secretary.token);
    return (bell.data?.myNotifications as { id: string; body: string }[] | undefined)?.find((n) =>
      n.body.includes(victim.lastName.toUpperCase()),
    )?.id;
  }, 30_000);
});

after(async () => {
  await system?.stop();
  exitWhenIdle();
});

// ---------------------------------------------------------------------------------------------

/** What no answer to an attacker may hold. */
function assertNothingLeaked(response: RawGraphQLResponse, { victimVisible = false } = {}): void {
  const errors = JSON.stringify(response.errors ?? []);
  assert.doesNotMatch(errors, /stack/i, 'no stack trace');
  assert.doesNotMatch(errors, /\bSELECT\b|\binsert into\b|\bwhere\b.*\$\d/i, 'no SQL');
  assert.doesNotMatch(errors, /postgres|mikro-?orm|kafka/i, 'no internals');
  assert.doesNotMatch(response.text, /https?:\/\/127\.0\.0\.1|127\.0\.0\.1:\d+|localhost:\d+/, 'no internal URL');
  const secrets = victimVisible ? [] : [victim.firstName, victim.lastName];
  if (allergy) secrets.push(allergy.substance);
  for (const secret of secrets) assert.doesNotMatch(response.text, new RegExp(secret, 'i'), `${secret} leaked`);
}

/** Every error carries the request id, which is the one of the `x-request-id` header. */
function requestIdOf(response: RawGraphQLResponse): string {
  assert.match(response.requestId ?? '', /^[0-9a-f-]{36}$/, 'x-request-id header');
  assert.ok((response.errors?.length ?? 0) > 0, `an error: ${response.text}`);
  for (const error of response.errors ?? []) assert.equal(error.extensions?.requestId, response.requestId);
  return response.requestId as string;
}

async function auditedOnce(filter: AuditFilter, requestId: string): Promise<AuditRow> {
  const records = await waitForAuditRecords(system.url, admin.token, { from: testStart, ...filter }, [requestId]);
  const found = records.get(requestId) ?? [];
  assert.equal(found.length, 1, JSON.stringify(found));
  return found[0] as AuditRow;
}

/** The router's record of a refused request: `router` / `request` / `Operation`, DENIED, with what the client was told. */
async function assertRouterDenial(
  response: RawGraphQLResponse,
  expected: { operationName: string; userId: string | null; role?: string | null; reason?: string },
): Promise<AuditRow> {
  const requestId = requestIdOf(response);
  const record = await auditedOnce({ action: 'request', outcome: 'DENIED' }, requestId);
  assert.equal(record.service, 'router');
  assert.equal(record.entity, 'Operation');
  assert.equal(record.entityId, expected.operationName);
  assert.equal(record.outcome, 'DENIED');
  assert.equal(record.reason, expected.reason ?? response.errors?.[0]?.message);
  assert.equal(record.userId, expected.userId);
  if (expected.role !== undefined) assert.equal(record.role, expected.role);
  assert.equal(record.patientId, null);
  return record;
}

// ---------------------------------------------------------------------------------------------
// Tokens the router must not accept.

interface Forgery {
  key?: KeyObject;
  kid?: string;
  audience?: string;
  issuer?: string;
  expiresAt?: number;
}

/** A token claiming to be `doctor`, with every scope, signed (or not) as told. */
function forge(options: Forgery = {}): Promise<string> {
  return new SignJWT({
    role: 'DOCTOR',
    cabinet: system.admin.cabinetId,
    scope: 'patient:read patient:readNationalId medicalRecord:read audit:search staff:create keys:rotate',
  })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? kid })
    .setSubject(doctor.userId)
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 300)
    .sign(options.key ?? system.signingKey);
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Reads the victim with `token`: refused at the door with 401, nothing served, and the refusal audited. */
async function assertTokenRefused(token: string, message: RegExp, operationName: string): Promise<void> {
  const response = await gqlRaw(
    system.url,
    `query ${operationName}($id: ID!) { patient(id: $id) { firstName lastName } }`,
    { id: victim.id },
    token,
    operationName,
  );
  assert.equal(response.status, 401, response.text);
  assert.equal(response.data, undefined, 'nothing is served');
  assert.equal(response.errors?.length, 1);
  assert.equal(response.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.match(response.errors?.[0]?.message ?? '', message);
  assertNothingLeaked(response);
  // Whatever the token claims, it was not verified: the record names nobody.
  await assertRouterDenial(response, { operationName, userId: null, role: null });
}

test('control: a genuinely signed token is accepted', async () => {
  const response = await gql(system.url, 'query { me { id } }', {}, await forge());
  assert.deepEqual(response.data, { me: { id: doctor.userId } });
});

test('a token signed by another RSA key (right key id) is refused and audited', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await assertTokenRefused(await forge({ key: privateKey }), /bad signature/, 'ForgedSignature');
});

test('an expired token is refused and audited', async () => {
  await assertTokenRefused(await forge({ expiresAt: Math.floor(Date.now() / 1000) - 60 }), /expired/, 'Expired');
});

test('an alg "none" token is refused and audited', async () => {
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${base64url({ alg: 'none', typ: 'JWT', kid })}.${base64url({
    sub: doctor.userId,
    role: 'DOCTOR',
    cabinet: system.admin.cabinetId,
    scope: 'patient:read medicalRecord:read',
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    iat: now,
    exp: now + 300,
  })}.`;
  await assertTokenRefused(unsigned, /rejected/, 'AlgNone');
});

test('a token signed HS256 with the public key as secret is refused and audited', async () => {
  const publicPem = createPublicKey(system.signingKey).export({ type: 'spki', format: 'pem' }).toString();
  const token = await new SignJWT({ role: 'DOCTOR', cabinet: system.admin.cabinetId, scope: 'patient:read' })
    .setProtectedHeader({ alg: 'HS256', kid })
    .setSubject(doctor.userId)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(publicPem));
  await assertTokenRefused(token, /algorithm not allowed/, 'HmacWithPublicKey');
});

test('a token for another audience is refused and audited', async () => {
  await assertTokenRefused(await forge({ audience: 'urn:someone:else' }), /aud/, 'WrongAudience');
});

test('a token from another issuer is refused and audited', async () => {
  await assertTokenRefused(await forge({ issuer: 'urn:evil:issuer' }), /iss/, 'WrongIssuer');
});

test('a token naming an unknown key id is refused and audited', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await assertTokenRefused(await forge({ key: privateKey, kid: `unknown-${letters(8)}` }), /unknown key/, 'UnknownKid');
});

// ---------------------------------------------------------------------------------------------
// Sessions.

const SIGN_IN = `mutation SignIn($email: String!, $password: String!) {
  login(email: $email, password: $password) { refreshToken }
}`;
const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) { accessToken refreshToken }
}`;

test('a refresh token replayed after rotation is refused, and it ends the whole session; both audited', async () => {
  const signedIn = await gql(system.url, SIGN_IN, { email: secretary.email, password: secretary.password });
  const first = signedIn.data?.login.refreshToken as string;
  const rotated = await gql(system.url, REFRESH, { refreshToken: first });
  assert.equal(rotated.errors, undefined, JSON.stringify(rotated.errors));
  const second = rotated.data?.refreshSession.refreshToken as string;

  // The stolen first token, replayed by someone else.
  const replay = await gqlRaw(system.url, REFRESH, { refreshToken: first });
  assert.equal(replay.data, null);
  assert.equal(replay.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(replay.errors?.[0]?.message, 'Invalid or expired refresh token');
  // The legitimate holder's current token is now dead too: the family was revoked.
  const legitimate = await gqlRaw(system.url, REFRESH, { refreshToken: second });
  assert.equal(legitimate.data, null);
  assert.equal(legitimate.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(legitimate.errors?.[0]?.message, replay.errors?.[0]?.message, 'the same answer: nothing to learn');
  for (const response of [replay, legitimate]) {
    assertNothingLeaked(response);
    assert.ok(!response.text.includes(first) && !response.text.includes(second), 'no token echoed');
  }

  const filter: AuditFilter = { from: testStart, action: 'refreshSession', outcome: 'DENIED' };
  const records = await waitForAuditRecords(system.url, admin.token, filter, [
    requestIdOf(replay),
    requestIdOf(legitimate),
  ]);
  const [reuse] = records.get(requestIdOf(replay)) ?? [];
  const revoked = (records.get(requestIdOf(legitimate)) ?? [])[0];
  assert.equal(reuse?.service, 'users');
  assert.equal(reuse?.reason, 'TOKEN_REUSED');
  assert.equal(revoked?.service, 'users');
  assert.equal(revoked?.reason, 'SESSION_REVOKED');
  assert.ok(reuse?.entityId, 'the session is named');
  assert.equal(revoked?.entityId, reuse?.entityId, 'the same session');
});

test('text with a NUL character is refused clearly by the router, before any subgraph, and audited', async () => {
  const response = await gqlRaw(
    system.url,
    'mutation NulLogin($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
    { email: `${secretary.email}\u0000`, password: secretary.password },
    undefined,
    'NulLogin',
  );
  assertNothingLeaked(response);
  assert.equal(response.status, 400, response.text);
  assert.equal(response.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.equal(response.errors?.[0]?.message, 'Text must not contain NUL characters');
  const requestId = requestIdOf(response);
  const records = await waitForAuditRecords(
    system.url,
    admin.token,
    { from: testStart, action: 'request', outcome: 'DENIED' },
    [requestId],
    30_000,
  );
  assert.equal((records.get(requestId) ?? [])[0]?.reason, 'Text must not contain NUL characters');
});

// ---------------------------------------------------------------------------------------------
// Someone else's records.

test('a doctor of another practice reading a patient by id gets NOT_FOUND, and it is audited', async () => {
  const response = await gqlRaw(
    system.url,
    'query CrossPractice($id: ID!) { patient(id: $id) { id firstName lastName birthDate } }',
    { id: victim.id },
    outsider.token,
  );
  assert.equal(response.status, 200);
  assert.equal(response.data, null);
  assert.equal(response.errors?.length, 1);
  assert.equal(response.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assertNothingLeaked(response);
  const record = await auditedOnce({ patientId: victim.id, outcome: 'DENIED' }, requestIdOf(response));
  assert.equal(record.service, 'patients');
  assert.equal(record.action, 'patient:read');
  assert.equal(record.reason, 'NOT_FOUND');
  assert.equal(record.userId, outsider.userId);
  assert.equal(record.role, 'DOCTOR');
  assert.equal(record.cabinetId, otherPractice);
});

test("a doctor of another practice removing a patient's allergy by id gets NOT_FOUND, and it is audited", async () => {
  if (!HAS_ALLERGIES) {
    assert.ok(!fieldExists('Mutation', 'removeAllergy'), 'removeAllergy without Patient.allergies');
    return;
  }
  const response = await gqlRaw(
    system.url,
    'mutation CrossRemove($id: ID!) { removeAllergy(id: $id) { id substance } }',
    { id: allergy.id },
    outsider.token,
  );
  assert.equal(response.data, null);
  assert.equal(response.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assertNothingLeaked(response);
  const record = await auditedOnce({ userId: outsider.userId, outcome: 'DENIED' }, requestIdOf(response));
  assert.equal(record.service, 'patients');
  assert.equal(record.action, 'removeAllergy');
  assert.equal(record.reason, 'NOT_FOUND');
  assert.equal(record.patientId, victim.id, "the victim's trail shows the attempt");
});

test('a patient reading another patient is refused, and the refusal is audited', async () => {
  const response = await gqlRaw(
    system.url,
    'query PeekPatient($id: ID!) { patient(id: $id) { id firstName lastName } }',
    { id: victim.id },
    patient.token,
    'PeekPatient',
  );
  assert.equal(response.status, 200);
  assert.equal(response.data, null);
  assert.equal(response.errors?.length, 1);
  assert.equal(response.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  assert.deepEqual(response.errors?.[0]?.path, ['patient']);
  assertNothingLeaked(response);
  const record = await assertRouterDenial(response, {
    operationName: 'PeekPatient',
    userId: patient.userId,
    role: 'PATIENT',
    reason: 'Unauthorized field or type',
  });
  assert.equal(record.cabinetId, system.admin.cabinetId);
});

test("a patient marking the practice's notification about another patient gets NOT_FOUND, and it is audited", async () => {
  const response = await gqlRaw(
    system.url,
    'mutation PeekNotification($id: ID!) { markNotificationRead(id: $id) { id body } }',
    { id: victimNotification },
    patient.token,
  );
  assert.equal(response.data, null);
  assert.equal(response.errors?.length, 1);
  assert.equal(response.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assertNothingLeaked(response);
  const record = await auditedOnce({ userId: patient.userId, outcome: 'DENIED' }, requestIdOf(response));
  assert.equal(record.service, 'notifications');
  assert.equal(record.action, 'markNotificationRead');
  assert.equal(record.reason, 'NOT_FOUND');
});

// ---------------------------------------------------------------------------------------------
// A field the caller may not see, nested inside a query it may run: that field alone is refused.

/** The leaves (scalar and enum fields) of an object type, as a selection set. */
function leavesOf(typeName: string): string {
  const type = SCHEMA.getType(typeName);
  assert.ok(isObjectType(type), `${typeName} is an object type`);
  const leaves = Object.values(type.getFields()).filter((field) => {
    const named = getNamedType(field.type);
    return isScalarType(named) || isEnumType(named);
  });
  return `{ ${leaves.map((field) => field.name).join(' ')} }`;
}

/** Every `Type.field` the supergraph guards with `scope`. */
function fieldsRequiring(scope: string): string[] {
  const found: string[] = [];
  for (const type of Object.values(SCHEMA.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const rule = field.astNode?.directives?.find((d) => d.name.value === 'requiresScopes');
      if (rule && JSON.stringify(rule).includes(`"${scope}"`)) found.push(`${type.name}.${field.name}`);
    }
  }
  return found;
}

test('a secretary selecting allergies deep inside the notification bell gets the rest, allergies refused and audited', async () => {
  if (!HAS_ALLERGIES) {
    // Nothing clinical to protect yet: no field of the supergraph needs medicalRecord:read.
    assert.deepEqual(fieldsRequiring('medicalRecord:read'), []);
    return;
  }
  const patientType = SCHEMA.getType('Patient');
  assert.ok(isObjectType(patientType));
  const allergyType = getNamedType(patientType.getFields().allergies?.type);
  const selection = isObjectType(allergyType) ? leavesOf(allergyType.name) : '';
  const response = await gqlRaw(
    system.url,
    `query Bell { myNotifications(limit: 100) { id title patient { id lastName allergies ${selection} } } }`,
    {},
    secretary.token,
    'Bell',
  );
  assert.equal(response.status, 200, response.text);
  const notification = ((response.data?.myNotifications ?? []) as { id: string; patient: any }[]).find(
    (n) => n.id === victimNotification,
  );
  // Served: the notification and the patient's administrative identity...
  assert.equal(notification?.patient?.id, victim.id, response.text);
  assert.equal(notification?.patient?.lastName, victim.lastName);
  // ...but not the clinical field, which is null with one FORBIDDEN error per path.
  assert.equal(notification?.patient?.allergies, null);
  assert.equal(response.errors?.length, 1, response.text);
  const [refusal] = response.errors ?? [];
  assert.equal(refusal?.extensions?.code, 'FORBIDDEN');
  assert.equal(refusal?.message, 'Unauthorized field or type');
  assert.deepEqual(refusal?.path, ['myNotifications', '@', 'patient', 'allergies']);
  assertNothingLeaked(response, { victimVisible: true });
  assert.doesNotMatch(response.text, /anaphylaxis/i);

  const record = await assertRouterDenial(response, {
    operationName: 'Bell',
    userId: secretary.userId,
    role: 'SECRETARY',
    reason: 'Unauthorized field or type',
  });
  assert.equal(record.cabinetId, system.admin.cabinetId);
  // The field never reached the patients subgraph: for this request it audited its read of the
  // patient (the entity behind Notification.patient), and no access to the medical record.
  const requestId = record.requestId as string;
  const trail = await waitFor(async () => {
    const rows = (await auditRecords(system.url, admin.token, { from: testStart, patientId: victim.id })).filter(
      (r) => r.requestId === requestId,
    );
    return rows.some((r) => r.action === 'patient:read' && r.outcome === 'ALLOWED') ? rows : null;
  }, 30_000);
  assert.deepEqual(
    trail.filter((r) => r.action.startsWith('medicalRecord:')),
    [],
    'no medical record access was audited for this request',
  );
});

test('a patient selecting national identifiers through their notifications has that field refused and audited', async () => {
  // PATIENT lacks patient:readNationalId (and patient:read) but may run myNotifications, whose
  // Notification.patient leads to Patient.nationalIds.
  const response = await gqlRaw(
    system.url,
    'query MyBell { myNotifications { id patient { nationalIds { type value } } } }',
    {},
    patient.token,
    'MyBell',
  );
  assert.equal(response.status, 200, response.text);
  assert.ok(Array.isArray(response.data?.myNotifications), 'the notifications are served');
  assert.ok((response.errors?.length ?? 0) > 0, response.text);
  for (const error of response.errors ?? []) {
    assert.equal(error.extensions?.code, 'FORBIDDEN');
    assert.equal(error.message, 'Unauthorized field or type');
    assert.deepEqual(error.path?.slice(0, 3), ['myNotifications', '@', 'patient']);
  }
  assert.ok(response.errors?.some((error) => error.path?.[3] === 'nationalIds'));
  assertNothingLeaked(response);
  await assertRouterDenial(response, {
    operationName: 'MyBell',
    userId: patient.userId,
    role: 'PATIENT',
    reason: 'Unauthorized field or type',
  });
});

// ---------------------------------------------------------------------------------------------
// Requests too big to run: refused before anything executes.

const SEARCH = 'query Search($search: String) { patients(search: $search) { id } }';

/** Nothing named `lastName` was registered: the refused mutation did not run. */
async function assertNotRegistered(lastName: string): Promise<void> {
  const search = await gql(system.url, SEARCH, { search: lastName }, secretary.token);
  assert.deepEqual(search.data?.patients, [], 'nothing was registered');
}

/** A registration whose selection set is `selection`. */
function registration(name: string, selection: string): { query: string; variables: Record<string, unknown> } {
  return {
    query: `mutation ${name}($input: RegisterPatientInput!) { registerPatient(input: $input) { ${selection} } }`,
    variables: { input: { firstName: 'Too', lastName: name, birthDate: '1990-01-01' } },
  };
}

async function assertLimitRefused(
  response: RawGraphQLResponse,
  expected: { limit: string; message: RegExp; operationName: string },
): Promise<void> {
  assert.equal(response.status, 400, response.text);
  assert.equal(response.data, undefined, 'nothing ran');
  assert.equal(response.errors?.length, 1, response.text);
  const [error] = response.errors ?? [];
  assert.equal(error?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  assert.equal(error?.extensions?.limit, expected.limit);
  assert.match(error?.message ?? '', expected.message);
  assertNothingLeaked(response);
  await assertRouterDenial(response, {
    operationName: expected.operationName,
    userId: secretary.userId,
    role: 'SECRETARY',
  });
}

test('a body over MAX_BODY_BYTES (256 KiB) is refused with 413 before it is parsed', async () => {
  const lastName = uniqueName('Oversized');
  const { query, variables } = registration(lastName, 'id');
  const body = JSON.stringify({ query, variables: { ...variables, padding: 'x'.repeat(300 * 1024) } });
  assert.ok(body.length > 256 * 1024);
  const response = await postGraphQL(system.url, body, { token: secretary.token });
  assert.equal(response.status, 413, response.text);
  assert.equal(response.data, undefined);
  assert.equal(response.errors?.length, 1);
  assert.equal(response.errors?.[0]?.message, 'Request body too large');
  assert.equal(response.errors?.[0]?.extensions?.code, 'BAD_REQUEST');
  requestIdOf(response);
  assertNothingLeaked(response);
  await assertNotRegistered(lastName);
});

test('a body over MAX_BODY_BYTES reaches the audit trail like every other refusal', async () => {
  const body = JSON.stringify({
    query: 'query Oversized { me { id } }',
    operationName: 'Oversized',
    variables: { padding: 'x'.repeat(300 * 1024) },
  });
  const response = await postGraphQL(system.url, body, { token: secretary.token });
  assert.equal(response.status, 413, response.text);
  const requestId = requestIdOf(response);
  const records = await waitForAuditRecords(
    system.url,
    admin.token,
    { from: testStart, action: 'request', outcome: 'DENIED' },
    [requestId],
    15_000,
  );
  const [record] = records.get(requestId) ?? [];
  assert.equal(record?.service, 'router');
  assert.equal(record?.reason, 'Request body too large');
});

test('an operation deeper than 15 levels is refused before execution', async () => {
  // Introspection is the schema's only recursion (__Type.ofType): valid at any depth.
  const deep = (levels: number) =>
    `query Deep { __schema { types { fields { type { ${'ofType { '.repeat(levels - 5)}name${' }'.repeat(levels - 5)} } } } } }`;
  const control = await gqlRaw(system.url, deep(15).replace('Deep', 'DeepEnough'), {}, secretary.token);
  assert.equal(control.status, 200, 'depth 15 is allowed');
  assert.equal(control.errors, undefined);
  const response = await gqlRaw(system.url, deep(16), {}, secretary.token, 'Deep');
  await assertLimitRefused(response, {
    limit: 'MAX_DEPTH',
    message: /^Query depth 16 exceeds the maximum of 15$/,
    operationName: 'Deep',
  });
});

test('an operation with more than 30 aliases is refused before execution', async () => {
  const name = uniqueName('Aliased');
  const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ');
  const { query, variables } = registration(name, aliases);
  const response = await gqlRaw(system.url, query, variables, secretary.token, name);
  await assertLimitRefused(response, {
    limit: 'MAX_ALIASES',
    message: /^Query uses 31 aliases, exceeding the maximum of 30$/,
    operationName: name,
  });
  await assertNotRegistered(name);
});

test('an operation selecting more than 500 fields is refused before execution', async () => {
  const name = uniqueName('Wide');
  const { query, variables } = registration(name, 'id '.repeat(501).trim());
  const response = await gqlRaw(system.url, query, variables, secretary.token, name);
  await assertLimitRefused(response, {
    limit: 'MAX_FIELDS',
    message: /^Query selects 502 fields, exceeding the maximum of 500$/,
    operationName: name,
  });
  await assertNotRegistered(name);
});

test('a document of more than MAX_TOKENS (5000) tokens is refused while parsing, before execution', async () => {
  const query = `query Tokens { me { ${'id '.repeat(5001)}} }`;
  const response = await gqlRaw(system.url, query, {}, secretary.token, 'Tokens');
  assert.equal(response.status, 400, response.text);
  assert.equal(response.data, undefined);
  assert.equal(response.errors?.length, 1);
  assert.equal(response.errors?.[0]?.extensions?.code, 'GRAPHQL_PARSE_FAILED');
  assert.match(response.errors?.[0]?.message ?? '', /Document contains more tha[nt] 5000 tokens/);
  assertNothingLeaked(response);
  await assertRouterDenial(response, { operationName: 'Tokens', userId: secretary.userId, role: 'SECRETARY' });
});

test('an operation with more than 20 root fields is refused before execution', async () => {
  const query = `query ManyRoots { ${'me { id } '.repeat(21)}}`;
  const response = await gqlRaw(system.url, query, {}, secretary.token, 'ManyRoots');
  await assertLimitRefused(response, {
    limit: 'MAX_ROOT_FIELDS',
    message: /^Query selects 21 root fields, exceeding the maximum of 20$/,
    operationName: 'ManyRoots',
  });
});
