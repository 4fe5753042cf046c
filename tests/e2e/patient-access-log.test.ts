import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gql, login, STAFF_ACCOUNT, staffMember, waitFor } from '../support/client.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

// The patient's side of traceability: who looked at my file, and when.
let system: TestSystem;
before(async () => {
  system = await startTestSystem();
});
after(async () => {
  await system?.stop();
  exitWhenIdle();
});

test('a patient sees who accessed their record, and only their own record', async () => {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const practice = system.admin.cabinetId;
  const secretary = await staffMember(system.url, admin.token, {
    email: uniqueEmail('sec'),
    role: 'SECRETARY',
    cabinetId: practice,
  });
  const doctor = await staffMember(system.url, admin.token, {
    email: uniqueEmail('doc'),
    role: 'DOCTOR',
    cabinetId: practice,
  });
  const register = (lastName: string) =>
    gql(
      system.url,
      'mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { firstName: 'Lou', lastName, birthDate: '1990-09-09' } },
      secretary.token,
    );
  const mine = (await register('Moi')).data?.registerPatient.id as string;
  const someoneElse = (await register('Autrui')).data?.registerPatient.id as string;

  const email = uniqueEmail('patient');
  const password = 'a patient password 1';
  const account = await gql(
    system.url,
    STAFF_ACCOUNT,
    { input: { email, password, name: 'Lou Moi', role: 'PATIENT', cabinetId: practice, patientId: mine } },
    admin.token,
  );
  assert.deepEqual(account.errors, undefined);
  const patient = await login(system.url, email, password);

  // The doctor opens the patient's file, and another patient's.
  const read = 'query P($id: ID!) { patient(id: $id) { lastName } }';
  assert.equal((await gql(system.url, read, { id: mine }, doctor.token)).data?.patient.lastName, 'Moi');
  await gql(system.url, read, { id: someoneElse }, doctor.token);

  const log = await waitFor(async () => {
    const response = await gql(
      system.url,
      '{ myRecordAccessLog(limit: 50) { at action role userId service } }',
      {},
      patient.token,
    );
    const entries = (response.data?.myRecordAccessLog ?? []) as { action: string; role: string; userId: string }[];
    return entries.some((entry) => entry.userId === doctor.userId) ? entries : null;
  }, 30000);
  const byDoctor = log.filter((entry) => entry.userId === doctor.userId);
  assert.ok(byDoctor.every((entry) => entry.role === 'DOCTOR'));
  assert.equal(
    byDoctor.filter((entry) => entry.action === 'patient:read').length,
    1,
    'one read of my file, not of the other',
  );
  assert.ok(log.some((entry) => entry.action === 'registerPatient' && entry.userId === secretary.userId));

  // A patient reads no one's file through the staff operations, and no one else's access log.
  const other = await gql(system.url, read, { id: someoneElse }, patient.token);
  assert.equal(other.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  assert.doesNotMatch(JSON.stringify(other), /Autrui/);
  const search = await gql(system.url, '{ auditLog { action } }', {}, patient.token);
  assert.equal(search.errors?.[0]?.extensions?.code, 'FORBIDDEN');
});
