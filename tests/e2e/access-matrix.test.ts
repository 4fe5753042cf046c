import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type DirectiveNode, Kind, parse } from 'graphql';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD, waitFor } from '../support/client.ts';
import { gqlRaw, type RawGraphQLResponse } from '../support/http.ts';
import { probeSubscription } from '../support/subscription-probe.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

// The access matrix: every root operation of the supergraph, called through the router by every
// kind of caller, with the outcome written down by hand. A change in the access rules has to be a
// change in this table; an operation added to the schema without a row fails the first test.

/**
 * The callers. `otherPracticeDoctor` is a DOCTOR of another practice and `otherPatient` a PATIENT
 * account linked to another patient file of the same practice: wherever an operation names a
 * record (an id, a session), these two name the practice's / the `patient` actor's one, i.e.
 * someone else's; elsewhere they act on their own data.
 */
const ACTORS = ['anonymous', 'admin', 'doctor', 'secretary', 'patient', 'otherPracticeDoctor', 'otherPatient'] as const;
type Actor = (typeof ACTORS)[number];
type SignedIn = Exclude<Actor, 'anonymous'>;

/** Served: data present, no error. */
const ALLOWED = 'ALLOWED';
/** No token: HTTP 401 from the router, nothing run (closed with 4401 on a WebSocket). */
const UNAUTHENTICATED = 'UNAUTHENTICATED';
/** A token without the scope: the field is null with a FORBIDDEN error. */
const FORBIDDEN = 'FORBIDDEN';
/** The record named belongs to someone else: indistinguishable from one that does not exist. */
const NOT_FOUND = 'NOT_FOUND';
/** The argument names something that is not the caller's (the service's answer for a session). */
const BAD_USER_INPUT = 'BAD_USER_INPUT';
type Outcome = typeof ALLOWED | typeof UNAUTHENTICATED | typeof FORBIDDEN | typeof NOT_FOUND | typeof BAD_USER_INPUT;

// biome-ignore format: one row per operation, one column per actor, read as a table.
const MATRIX = {
  'Query.me':                      { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Query.patients':                { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: ALLOWED,        otherPatient: FORBIDDEN },
  'Query.patient':                 { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Query.myNotifications':         { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Query.unreadNotificationCount': { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Query.auditLog':                { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Query.myRecordAccessLog':       { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: FORBIDDEN, secretary: FORBIDDEN, patient: ALLOWED,   otherPracticeDoctor: FORBIDDEN,      otherPatient: ALLOWED },
  'Mutation.login':                { anonymous: ALLOWED,         admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Mutation.refreshSession':       { anonymous: ALLOWED,         admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Mutation.logout':               { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: BAD_USER_INPUT, otherPatient: BAD_USER_INPUT },
  'Mutation.changePassword':       { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
  'Mutation.createStaffAccount':   { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Mutation.rotateSigningKey':     { anonymous: UNAUTHENTICATED, admin: ALLOWED,   doctor: FORBIDDEN, secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: FORBIDDEN,      otherPatient: FORBIDDEN },
  'Mutation.registerPatient':      { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: FORBIDDEN, otherPracticeDoctor: ALLOWED,        otherPatient: FORBIDDEN },
  'Mutation.markNotificationRead': { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: NOT_FOUND, otherPracticeDoctor: NOT_FOUND,      otherPatient: NOT_FOUND },
  'Mutation.recordAllergy':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Mutation.removeAllergy':        { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: FORBIDDEN, patient: FORBIDDEN, otherPracticeDoctor: NOT_FOUND,      otherPatient: FORBIDDEN },
  'Subscription.notificationAdded': { anonymous: UNAUTHENTICATED, admin: FORBIDDEN, doctor: ALLOWED,   secretary: ALLOWED,   patient: ALLOWED,   otherPracticeDoctor: ALLOWED,        otherPatient: ALLOWED },
} as const satisfies Record<string, Record<Actor, Outcome>>;
type Operation = keyof typeof MATRIX;

// ---------------------------------------------------------------------------------------------
// The data every call works on, created once.

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
let practice: string;
const otherPractice = randomUUID();
const accounts = {} as Record<SignedIn, Account>;
/** The patient file the `patient` actor is linked to; `otherPatient` reaches for it. */
let file: PatientFile;
/** The patient file of `otherPatient`, which nobody but the registration ever touches. */
let otherFile: PatientFile;
/** The notification of `file`'s registration, for the practice's staff. */
let notificationId: string;

/** Letters only (patient names may not hold digits), unique enough for one run. */
const letters = (length = 10): string =>
  Array.from(randomBytes(length), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
const uniqueName = (prefix: string): string => `${prefix}${letters()}`;

const SIGN_IN = `mutation SignIn($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken user { id } }
}`;
const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) { accessToken refreshToken user { id } }
}`;
const PATIENT = 'query Patient($id: ID!) { patient(id: $id) { id lastName } }';
const REGISTER = 'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id lastName } }';
const SEARCH = 'query Search($search: String) { patients(search: $search) { id lastName } }';
const MY_RECORD_ACCESS_LOG = '{ myRecordAccessLog(limit: 200) { at action role userId service } }';

interface Session {
  accessToken: string;
  refreshToken: string;
  userId: string;
}

/** A fresh session (its own refresh-token family) of an account. */
async function signIn(account: Pick<Account, 'email' | 'password'>): Promise<Session> {
  const response = await gql(system.url, SIGN_IN, { email: account.email, password: account.password });
  const payload = response.data?.login;
  if (!payload) throw new Error(`sign-in failed: ${JSON.stringify(response.errors)}`);
  return { accessToken: payload.accessToken, refreshToken: payload.refreshToken, userId: payload.user.id };
}

async function createAccount(input: { role: string; cabinetId?: string; patientId?: string }): Promise<Account> {
  const email = uniqueEmail(`matrix-${input.role.toLowerCase()}`);
  const created = await gql(
    system.url,
    STAFF_ACCOUNT,
    { input: { ...input, email, password: STAFF_PASSWORD, name: 'Matrix Account' } },
    accounts.admin.token,
  );
  if (!created.data?.createStaffAccount) throw new Error(`account not created: ${JSON.stringify(created.errors)}`);
  const session = await login(system.url, email, STAFF_PASSWORD);
  return { email, password: STAFF_PASSWORD, ...session };
}

async function registerFile(prefix: string): Promise<PatientFile> {
  const firstName = uniqueName('Fn');
  const lastName = uniqueName(prefix);
  const response = await gql(
    system.url,
    REGISTER,
    { input: { firstName, lastName, birthDate: '1979-02-03' } },
    accounts.secretary.token,
  );
  const id = response.data?.registerPatient?.id;
  if (!id) throw new Error(`registerPatient failed: ${JSON.stringify(response.errors)}`);
  return { id, firstName, lastName };
}

/** A new account of the same kind as `actor` (same role and practice), for calls that change the account. */
async function accountLike(actor: SignedIn): Promise<Account> {
  switch (actor) {
    case 'admin':
      return createAccount({ role: 'ADMIN' });
    case 'doctor':
      return createAccount({ role: 'DOCTOR', cabinetId: practice });
    case 'secretary':
      return createAccount({ role: 'SECRETARY', cabinetId: practice });
    case 'otherPracticeDoctor':
      return createAccount({ role: 'DOCTOR', cabinetId: otherPractice });
    case 'patient':
    case 'otherPatient':
      return createAccount({ role: 'PATIENT', cabinetId: practice, patientId: (await registerFile('Disposable')).id });
  }
}

before(async () => {
  system = await startTestSystem();
  practice = system.admin.cabinetId;
  const admin = await login(system.url, system.admin.email, system.admin.password);
  accounts.admin = { email: system.admin.email, password: system.admin.password, ...admin };
  accounts.doctor = await createAccount({ role: 'DOCTOR', cabinetId: practice });
  accounts.secretary = await createAccount({ role: 'SECRETARY', cabinetId: practice });
  accounts.otherPracticeDoctor = await createAccount({ role: 'DOCTOR', cabinetId: otherPractice });
  file = await registerFile('Primus');
  otherFile = await registerFile('Secundus');
  accounts.patient = await createAccount({ role: 'PATIENT', cabinetId: practice, patientId: file.id });
  accounts.otherPatient = await createAccount({ role: 'PATIENT', cabinetId: practice, patientId: otherFile.id });

  // The practice's notification of `file`'s registration (made from the Kafka event).
  notificationId = await waitFor(async () => {
    const bell = await gql(system.url, '{ myNotifications(limit: 100) { id body } }', {}, accounts.doctor.token);
    return (bell.data?.myNotifications as { id: string; body: string }[] | undefined)?.find((n) =>
      n.body.includes(file.lastName.toUpperCase()),
    )?.id;
  }, 30_000);

  // A doctor reads `file`, so its patient has an access to see in myRecordAccessLog.
  const read = await gql(system.url, PATIENT, { id: file.id }, accounts.doctor.token);
  assert.equal(read.data?.patient?.id, file.id, JSON.stringify(read));
  await waitFor(async () => {
    const log = await gql(system.url, MY_RECORD_ACCESS_LOG, {}, accounts.patient.token);
    return (log.data?.myRecordAccessLog as { action: string; userId: string }[] | undefined)?.some(
      (access) => access.action === 'patient:read' && access.userId === accounts.doctor.userId,
    );
  }, 30_000);
});

after(async () => {
  await system?.stop();
  exitWhenIdle();
});

// ---------------------------------------------------------------------------------------------
// How each operation is called, minimally and validly, and what an answer must show.

interface Call {
  query: string;
  variables?: Record<string, unknown>;
  token: string | null;
  /** Whatever the checks below need to know about the call. */
  context?: Record<string, any>;
}

interface OperationSpec {
  call(actor: Actor): Call | Promise<Call>;
  /** Further checks on an allowed answer's data. */
  allowed?(actor: Actor, data: Record<string, any>, call: Call): void | Promise<void>;
  /** Further checks after a refusal (e.g. that nothing changed). */
  refused?(actor: Actor, call: Call): void | Promise<void>;
}

const tokenOf = (actor: Actor): string | null => (actor === 'anonymous' ? null : accounts[actor].token);
/** The account a sign-in by `actor` uses; an anonymous caller signs in as the secretary. */
const credentialsOf = (actor: Actor): Account => (actor === 'anonymous' ? accounts.secretary : accounts[actor]);
const isPracticeStaff = (actor: Actor): boolean => actor === 'doctor' || actor === 'secretary';

const RECORD_ALLERGY = `mutation Record($patientId: ID!, $input: AllergyInput!) {
  recordAllergy(patientId: $patientId, input: $input) { id }
}`;

/** The active allergies of `file`, as its doctor reads them. */
async function allergiesOfFile(): Promise<{ id: string; substance: string }[]> {
  const read = await gql(
    system.url,
    'query Allergies($id: ID!) { patient(id: $id) { allergies { id substance } } }',
    { id: file.id },
    accounts.doctor.token,
  );
  if (read.errors) throw new Error(`reading allergies failed: ${JSON.stringify(read.errors)}`);
  return read.data?.patient.allergies ?? [];
}

async function refreshRefused(refreshToken: string): Promise<void> {
  const again = await gql(system.url, REFRESH, { refreshToken });
  assert.equal(again.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(again));
}

const OPERATIONS: Record<Exclude<Operation, 'Subscription.notificationAdded'>, OperationSpec> = {
  'Query.me': {
    call: (actor) => ({ query: '{ me { id role } }', token: tokenOf(actor) }),
    allowed: (actor, data) => assert.equal(data.me.id, credentialsOf(actor).userId),
  },
  'Query.patients': {
    call: (actor) => ({ query: SEARCH, variables: { search: file.lastName }, token: tokenOf(actor) }),
    allowed: (actor, data) =>
      assert.deepEqual(data.patients, isPracticeStaff(actor) ? [{ id: file.id, lastName: file.lastName }] : []),
  },
  'Query.patient': {
    call: (actor) => ({ query: PATIENT, variables: { id: file.id }, token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.deepEqual(data.patient, { id: file.id, lastName: file.lastName }),
  },
  'Query.myNotifications': {
    call: (actor) => ({ query: '{ myNotifications(limit: 100) { id kind } }', token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const ids = (data.myNotifications as { id: string }[]).map((n) => n.id);
      assert.equal(
        ids.includes(notificationId),
        isPracticeStaff(actor),
        'only the practice staff see its notification',
      );
    },
  },
  'Query.unreadNotificationCount': {
    call: (actor) => ({ query: '{ unreadNotificationCount }', token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.ok(Number.isInteger(data.unreadNotificationCount)),
  },
  'Query.auditLog': {
    call: (actor) => ({ query: '{ auditLog(limit: 1) { id outcome } }', token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.equal(data.auditLog.length, 1),
  },
  'Query.myRecordAccessLog': {
    call: (actor) => ({ query: MY_RECORD_ACCESS_LOG, token: tokenOf(actor) }),
    allowed: (actor, data) => {
      const log = data.myRecordAccessLog as { action: string; userId: string | null; role: string | null }[];
      if (actor === 'patient') {
        assert.ok(
          log.some((a) => a.action === 'patient:read' && a.userId === accounts.doctor.userId && a.role === 'DOCTOR'),
          'the doctor read of the patient file is listed',
        );
      } else {
        // Nobody read the other file (its registration and account are listed, and the staff's bell
        // showing its notification): the doctor's read of `file` is not shown to its neighbour.
        assert.ok(
          log.some((a) => a.action === 'registerPatient'),
          'its registration is listed',
        );
        assert.ok(
          log.every((a) => a.action !== 'patient:read'),
          JSON.stringify(log),
        );
      }
    },
  },
  'Mutation.login': {
    call: (actor) => {
      const { email, password } = credentialsOf(actor);
      return { query: SIGN_IN, variables: { email, password }, token: tokenOf(actor) };
    },
    allowed: (actor, data) => {
      assert.equal(data.login.user.id, credentialsOf(actor).userId);
      assert.match(data.login.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    },
  },
  'Mutation.refreshSession': {
    call: async (actor) => {
      const session = await signIn(credentialsOf(actor));
      return {
        query: REFRESH,
        variables: { refreshToken: session.refreshToken },
        token: tokenOf(actor),
        context: { session },
      };
    },
    allowed: (actor, data, call) => {
      assert.equal(data.refreshSession.user.id, credentialsOf(actor).userId);
      assert.notEqual(data.refreshSession.refreshToken, call.context?.session.refreshToken);
    },
  },
  'Mutation.logout': {
    call: async (actor) => {
      const query = 'mutation Logout($refreshToken: String) { logout(refreshToken: $refreshToken) }';
      if (actor === 'anonymous') return { query, token: null };
      // Its own fresh session, or, for the outsiders, the session of the one they reach for.
      const victim =
        actor === 'otherPracticeDoctor' ? 'doctor' : actor === 'otherPatient' ? ('patient' as const) : null;
      const own = await signIn(accounts[actor]);
      const target = victim ? await signIn(accounts[victim]) : own;
      return {
        query,
        variables: { refreshToken: target.refreshToken },
        token: own.accessToken,
        context: { target },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.logout, true);
      await refreshRefused(call.context?.target.refreshToken);
    },
    refused: async (actor, call) => {
      if (actor === 'anonymous') return;
      // The other user's session was not ended.
      const refreshed = await gql(system.url, REFRESH, { refreshToken: call.context?.target.refreshToken });
      assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
    },
  },
  'Mutation.changePassword': {
    call: async (actor) => {
      const query =
        'mutation Change($current: String!, $next: String!) { changePassword(currentPassword: $current, newPassword: $next) }';
      const next = `a new password ${letters(6)}`;
      if (actor === 'anonymous') return { query, variables: { current: STAFF_PASSWORD, next }, token: null };
      const account = await accountLike(actor);
      return {
        query,
        variables: { current: account.password, next },
        token: account.token,
        context: { account, next },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.changePassword, true);
      const { account, next } = call.context as { account: Account; next: string };
      assert.equal((await login(system.url, account.email, next)).userId, account.userId);
    },
  },
  'Mutation.createStaffAccount': {
    call: (actor) => {
      const email = uniqueEmail('matrix-created');
      const input = { email, password: STAFF_PASSWORD, name: 'Created', role: 'SECRETARY', cabinetId: practice };
      return { query: STAFF_ACCOUNT, variables: { input }, token: tokenOf(actor), context: { email } };
    },
    allowed: (_actor, data, call) => {
      assert.equal(data.createStaffAccount.email, call.context?.email);
      assert.equal(data.createStaffAccount.role, 'SECRETARY');
    },
    refused: async (_actor, call) => {
      await assert.rejects(login(system.url, call.context?.email, STAFF_PASSWORD), /login failed/);
    },
  },
  'Mutation.rotateSigningKey': {
    call: (actor) => ({ query: 'mutation { rotateSigningKey }', token: tokenOf(actor) }),
    allowed: (_actor, data) => assert.equal(data.rotateSigningKey, true),
  },
  'Mutation.registerPatient': {
    call: (actor) => {
      const lastName = uniqueName('Registered');
      return {
        query: REGISTER,
        variables: { input: { firstName: 'Reg', lastName, birthDate: '1990-01-01' } },
        token: tokenOf(actor),
        context: { lastName },
      };
    },
    allowed: (_actor, data, call) => assert.equal(data.registerPatient.lastName, call.context?.lastName),
    refused: async (_actor, call) => {
      const search = await gql(system.url, SEARCH, { search: call.context?.lastName }, accounts.secretary.token);
      assert.deepEqual(search.data?.patients, [], 'nothing was registered');
    },
  },
  'Mutation.recordAllergy': {
    call: (actor) => {
      const substance = uniqueName('Substance');
      return {
        query: `mutation Record($patientId: ID!, $input: AllergyInput!) {
          recordAllergy(patientId: $patientId, input: $input) { id substance }
        }`,
        variables: { patientId: file.id, input: { substance, severity: 'MILD' } },
        token: tokenOf(actor),
        context: { substance },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.recordAllergy.substance, call.context?.substance);
      assert.ok((await allergiesOfFile()).some((a) => a.id === data.recordAllergy.id));
    },
    refused: async (_actor, call) => {
      const recorded = await allergiesOfFile();
      assert.ok(!recorded.some((a) => a.substance === call.context?.substance), 'nothing was recorded');
    },
  },
  'Mutation.removeAllergy': {
    call: async (actor) => {
      // A fresh allergy of `file`, recorded by its doctor, for the actor to remove.
      const substance = uniqueName('Substance');
      const recorded = await gql(
        system.url,
        RECORD_ALLERGY,
        {
          patientId: file.id,
          input: { substance, severity: 'MODERATE' },
        },
        accounts.doctor.token,
      );
      const id = recorded.data?.recordAllergy?.id;
      if (!id) throw new Error(`recordAllergy failed: ${JSON.stringify(recorded.errors)}`);
      return {
        query: 'mutation Remove($id: ID!) { removeAllergy(id: $id) { id } }',
        variables: { id },
        token: tokenOf(actor),
        context: { id, secrets: [substance] },
      };
    },
    allowed: async (_actor, data, call) => {
      assert.equal(data.removeAllergy.id, call.context?.id);
      assert.ok(!(await allergiesOfFile()).some((a) => a.id === call.context?.id), 'no longer listed');
    },
    refused: async (_actor, call) => {
      assert.ok(
        (await allergiesOfFile()).some((a) => a.id === call.context?.id),
        'still in the record',
      );
    },
  },
  'Mutation.markNotificationRead': {
    call: (actor) => ({
      query: 'mutation Read($id: ID!) { markNotificationRead(id: $id) { id read } }',
      variables: { id: notificationId },
      token: tokenOf(actor),
    }),
    allowed: (_actor, data) => assert.deepEqual(data.markNotificationRead, { id: notificationId, read: true }),
  },
};

// ---------------------------------------------------------------------------------------------
// Running one cell.

/** The names an actor has no business seeing. */
function namesHiddenFrom(actor: Actor): string[] {
  const files = isPracticeStaff(actor)
    ? []
    : actor === 'patient'
      ? [otherFile]
      : actor === 'otherPatient'
        ? [file]
        : [file, otherFile];
  return files.flatMap((f) => [f.firstName, f.lastName]);
}

function assertNothingLeaked(actor: Actor, response: RawGraphQLResponse): void {
  for (const name of namesHiddenFrom(actor)) {
    assert.doesNotMatch(response.text, new RegExp(name, 'i'), `${name} leaked to ${actor}`);
  }
  const errors = JSON.stringify(response.errors ?? []);
  assert.doesNotMatch(errors, /stack|\bSELECT\b|postgres|127\.0\.0\.1|https?:\/\//i, 'no internals in errors');
}

async function runHttpCell(
  operation: Exclude<Operation, 'Subscription.notificationAdded'>,
  actor: Actor,
): Promise<void> {
  const expected: Outcome = MATRIX[operation][actor];
  const spec = OPERATIONS[operation];
  const field = operation.split('.')[1] as string;
  const call = await spec.call(actor);
  const response = await gqlRaw(system.url, call.query, call.variables ?? {}, call.token ?? undefined);
  const dump = `${operation} as ${actor}: ${response.status} ${response.text}`;
  assertNothingLeaked(actor, response);
  if (expected !== ALLOWED) {
    for (const secret of (call.context?.secrets ?? []) as string[]) {
      assert.doesNotMatch(response.text, new RegExp(secret, 'i'), `${secret} leaked to ${actor}`);
    }
  }
  if (expected === ALLOWED) {
    assert.equal(response.status, 200, dump);
    assert.equal(response.errors, undefined, dump);
    assert.ok(response.data?.[field] !== null && response.data?.[field] !== undefined, dump);
    await spec.allowed?.(actor, response.data ?? {}, call);
    return;
  }
  assert.ok(response.requestId, 'the router names the request');
  for (const error of response.errors ?? []) assert.equal(error.extensions?.requestId, response.requestId, dump);
  if (expected === UNAUTHENTICATED) {
    assert.equal(response.status, 401, dump);
    assert.equal(response.data, undefined, dump);
    assert.equal(response.errors?.length, 1, dump);
    assert.equal(response.errors?.[0]?.extensions?.code, UNAUTHENTICATED, dump);
    assert.equal(response.errors?.[0]?.message, 'Authentication required', dump);
  } else {
    assert.equal(response.status, 200, dump);
    assert.equal(response.errors?.length, 1, dump);
    assert.equal(response.errors?.[0]?.extensions?.code, expected, dump);
    assert.deepEqual(response.errors?.[0]?.path, [field], dump);
    // Non-null root fields: null propagates to `data`.
    assert.ok(response.data === null || response.data?.[field] === null, dump);
  }
  await spec.refused?.(actor, call);
}

async function runSubscriptionCell(actor: Actor): Promise<void> {
  const expected: Outcome = MATRIX['Subscription.notificationAdded'][actor];
  const outcome = await probeSubscription(system.wsUrl, tokenOf(actor), 'subscription { notificationAdded { id } }');
  const dump = `notificationAdded as ${actor}: ${JSON.stringify(outcome)}`;
  for (const name of namesHiddenFrom(actor)) assert.doesNotMatch(dump, new RegExp(name, 'i'));
  if (expected === UNAUTHENTICATED) {
    assert.equal(outcome.closed?.code, 4401, dump);
    assert.match(outcome.closed?.reason ?? '', /^Unauthorized/, dump);
    assert.deepEqual(outcome.events, [], dump);
  } else if (expected === ALLOWED) {
    // Open and quiet (an event may come, if a registration elsewhere in the run is notified now).
    assert.ok(outcome.connected, dump);
    assert.equal(outcome.closed, null, dump);
    assert.equal(outcome.errors, null, dump);
    assert.equal(outcome.completed, false, dump);
    for (const event of outcome.events) {
      assert.equal(event.errors, undefined, dump);
      assert.ok(event.data?.notificationAdded?.id, dump);
    }
  } else {
    assert.ok(outcome.connected, dump);
    const errors = outcome.events[0]?.errors ?? outcome.errors ?? [];
    assert.ok(errors.length > 0, dump);
    for (const error of errors) assert.equal(error.extensions?.code, expected, dump);
    assert.equal(outcome.events[0]?.data ?? null, null, dump);
  }
}

// ---------------------------------------------------------------------------------------------

/** `Query.x`, `Mutation.y`, `Subscription.z` for every root field of a composed supergraph (its API schema). */
function rootFieldsOf(sdl: string): string[] {
  const document = parse(sdl);
  const kinds: Record<string, string> = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
  const declared = document.definitions.flatMap((definition) =>
    definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION
      ? (definition.operationTypes ?? [])
      : [],
  );
  // The root types the schema declares, or the default names when it declares none.
  const roots = new Map<string, string>(
    declared.length > 0
      ? declared.map((root) => [root.type.name.value, kinds[root.operation] as string])
      : Object.values(kinds).map((name) => [name, name]),
  );
  const inaccessible = (directives: readonly DirectiveNode[] | undefined) =>
    (directives ?? []).some((d) => d.name.value === 'inaccessible');
  const fields: string[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const kind = roots.get(definition.name.value);
    if (!kind) continue;
    for (const field of definition.fields ?? []) {
      if (!inaccessible(field.directives)) fields.push(`${kind}.${field.name.value}`);
    }
  }
  return fields.sort();
}

test('the matrix has a row for exactly the root operations of the supergraph', () => {
  const sdl = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
  const inSchema = rootFieldsOf(sdl);
  assert.ok(inSchema.length > 0);
  assert.deepEqual(
    Object.keys(MATRIX).sort(),
    inSchema,
    'every root field of schema/supergraph.graphql needs a row in MATRIX (and every row a root field)',
  );
  for (const [operation, row] of Object.entries(MATRIX)) {
    assert.deepEqual(Object.keys(row).sort(), [...ACTORS].sort(), `${operation} has a column per actor`);
  }
});

for (const operation of Object.keys(MATRIX) as Operation[]) {
  describe(operation, () => {
    for (const actor of ACTORS) {
      test(`${actor}: ${MATRIX[operation][actor]}`, () =>
        operation === 'Subscription.notificationAdded' ? runSubscriptionCell(actor) : runHttpCell(operation, actor));
    }
  });
}
