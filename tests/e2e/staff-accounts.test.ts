// Staff account management through the router, as the administration screens and a doctor's
// profile page would use it. Every account and practice is this run's own.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD } from '../support/client.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

let system: TestSystem;
let adminToken: string;
/** This run's practice, and another one. */
const practice = randomUUID();
const otherPractice = randomUUID();
/** Letters only, unique to this run: every name it creates carries it, so lists can be scoped to them. */
const runTag = Array.from(randomBytes(8), (byte) => String.fromCharCode(97 + (byte % 26))).join('');

before(async () => {
  system = await startTestSystem();
  ({ token: adminToken } = await login(system.url, system.admin.email, system.admin.password));
});
after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const USER = 'id email name role cabinetId active phone signature';
const STAFF = `query Staff($filter: StaffAccountFilter, $limit: Int, $offset: Int) {
  staffAccounts(filter: $filter, limit: $limit, offset: $offset) { ${USER} }
}`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateStaffAccountInput!) {
  updateStaffAccount(id: $id, input: $input) { ${USER} }
}`;
const DEACTIVATE = `mutation Deactivate($id: ID!) { deactivateStaffAccount(id: $id) { ${USER} } }`;
const PROFILE = `mutation Profile($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { ${USER} } }`;

interface Created {
  id: string;
  email: string;
  name: string;
}

/** Data of a call that has to work. */
async function must(query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  const response = await gql(system.url, query, variables, token);
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  assert.ok(response.data);
  return response.data;
}

async function create(name: string, role: string, cabinetId: string | null): Promise<Created> {
  const email = uniqueEmail(role.toLowerCase());
  const input = { email, password: STAFF_PASSWORD, name, role, ...(cabinetId ? { cabinetId } : {}) };
  const created = (await must(STAFF_ACCOUNT, { input }, adminToken)).createStaffAccount;
  return { id: created.id, email, name };
}

/** The error code of a call that must fail. */
async function refusal(query: string, variables: Record<string, unknown>, token: string): Promise<string> {
  const response = await gql(system.url, query, variables, token);
  assert.ok(response.errors?.length, JSON.stringify(response));
  return response.errors?.[0]?.extensions?.code;
}

test('an admin manages staff accounts: create, find by name ignoring accents, edit, reset, deactivate', async () => {
  const helene = await create(`Dr Hélène Dupré ${runTag}`, 'DOCTOR', practice);
  const secretary = await create(`Jérôme Lefèvre ${runTag}`, 'SECRETARY', practice);

  // Found by a plain-letter, lower-case query; listed by name.
  const found = (await must(STAFF, { filter: { text: `helene dupre ${runTag}` } }, adminToken)).staffAccounts;
  assert.deepEqual(
    found.map((u: Created) => [u.id, u.name]),
    [[helene.id, helene.name]],
  );
  const practiceStaff = (await must(STAFF, { filter: { cabinetId: practice, text: runTag } }, adminToken))
    .staffAccounts;
  assert.deepEqual(
    practiceStaff.map((u: Created) => u.id),
    [helene.id, secretary.id],
  );

  // Edited without a password: the old one still signs in.
  const edited = (
    await must(
      UPDATE,
      { id: helene.id, input: { name: `Dr Hélène Dupré-Martin ${runTag}`, phone: '01 23 45 67 89', password: '' } },
      adminToken,
    )
  ).updateStaffAccount;
  assert.deepEqual(
    [edited.name, edited.phone, edited.email, edited.active],
    [`Dr Hélène Dupré-Martin ${runTag}`, '01 23 45 67 89', helene.email, true],
  );
  assert.equal((await login(system.url, helene.email, STAFF_PASSWORD)).userId, helene.id);

  // Edited with a password: the old one fails, the new one works.
  const newPassword = `reset by the admin ${runTag}`;
  await must(UPDATE, { id: helene.id, input: { password: newPassword } }, adminToken);
  await assert.rejects(login(system.url, helene.email, STAFF_PASSWORD), /login failed/);
  assert.equal((await login(system.url, helene.email, newPassword)).userId, helene.id);
  assert.equal(
    await refusal(UPDATE, { id: helene.id, input: { password: 'too short' } }, adminToken),
    'BAD_USER_INPUT',
  );
  assert.equal(await refusal(UPDATE, { id: randomUUID(), input: { name: 'Nobody' } }, adminToken), 'NOT_FOUND');

  // Deactivated: signing in is refused, and the list says so.
  const deactivated = (await must(DEACTIVATE, { id: helene.id }, adminToken)).deactivateStaffAccount;
  assert.equal(deactivated.active, false);
  await assert.rejects(login(system.url, helene.email, newPassword), /login failed/);
  const inactive = (await must(STAFF, { filter: { text: runTag, active: false } }, adminToken)).staffAccounts;
  assert.deepEqual(
    inactive.map((u: Created) => u.id),
    [helene.id],
  );

  // The admin cannot deactivate their own account.
  const me = (await must('{ me { id } }', {}, adminToken)).me;
  assert.equal(await refusal(DEACTIVATE, { id: me.id }, adminToken), 'BAD_USER_INPUT');
});

test("a secretary lists her own practice's staff, and gets NOT_FOUND for another practice", async () => {
  const tag = `${runTag} team`;
  const doctor = await create(`Dr Anne Martin ${tag}`, 'DOCTOR', practice);
  const secretary = await create(`Béatrice Roux ${tag}`, 'SECRETARY', practice);
  await create(`Dr Outsider ${tag}`, 'DOCTOR', otherPractice);
  const { token } = await login(system.url, secretary.email, STAFF_PASSWORD);

  const own = (await must(STAFF, { filter: { text: tag } }, token)).staffAccounts;
  assert.deepEqual(
    own.map((u: Created) => u.id),
    [secretary.id, doctor.id],
    'her practice only, by name',
  );
  const named = (await must(STAFF, { filter: { cabinetId: practice, text: 'BEATRICE' } }, token)).staffAccounts;
  assert.ok(
    named.some((u: Created) => u.id === secretary.id),
    JSON.stringify(named),
  );

  const elsewhere = await gql(system.url, STAFF, { filter: { cabinetId: otherPractice } }, token);
  assert.equal(elsewhere.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(elsewhere));
  assert.equal(elsewhere.data, null);
  assert.equal(
    await refusal(UPDATE, { id: doctor.id, input: { name: 'Renamed by her' } }, token),
    'FORBIDDEN',
    'only an admin edits accounts',
  );
});

test('a doctor updates the signature of his own profile, and `me` shows it', async () => {
  const doctor = await create(`Dr Paul Bernard ${runTag}`, 'DOCTOR', practice);
  const { token } = await login(system.url, doctor.email, STAFF_PASSWORD);
  const signature = `Dr P. Bernard — Médecin généraliste ${runTag}`;
  const updated = (await must(PROFILE, { input: { signature, phone: '+33 6 12 34 56 78' } }, token)).updateMyProfile;
  assert.deepEqual(
    [updated.id, updated.name, updated.signature, updated.phone],
    [doctor.id, doctor.name, signature, '+33 6 12 34 56 78'],
  );
  const me = (await must(`{ me { ${USER} } }`, {}, token)).me;
  assert.deepEqual([me.id, me.signature, me.phone], [doctor.id, signature, '+33 6 12 34 56 78']);
  assert.equal(await refusal(PROFILE, { input: { signature: 'x'.repeat(201) } }, token), 'BAD_USER_INPUT');
  const anonymous = await gql(system.url, PROFILE, { input: { signature } });
  assert.equal(anonymous.status, 401);
});
