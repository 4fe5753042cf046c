import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gql, login, staffMember, subscribe } from '../support/client.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

// End to end, through the router only, on the real PostgreSQL and the real Kafka broker.
let system: TestSystem;
before(async () => {
  system = await startTestSystem();
});
after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const REGISTER = `mutation Register($input: RegisterPatientInput!) {
  registerPatient(input: $input) { id firstName lastName birthDate }
}`;
const NOTIFICATION_ADDED = 'subscription { notificationAdded { id kind title body read patient { id } } }';
const BELL = `query Bell {
  unreadNotificationCount
  myNotifications(limit: 50) { id kind title body read patient { id firstName lastName } }
}`;

test('sign in, subscribe, register a patient, receive it live, see it in the bell, mark it read', async () => {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const practice = system.admin.cabinetId;
  const secretary = await staffMember(system.url, admin.token, {
    email: uniqueEmail('secretary'),
    role: 'SECRETARY',
    cabinetId: practice,
  });
  const doctor = await staffMember(system.url, admin.token, {
    email: uniqueEmail('doctor'),
    role: 'DOCTOR',
    cabinetId: practice,
  });

  const live = await subscribe(system.wsUrl, doctor.token, NOTIFICATION_ADDED);
  try {
    const startedAt = Date.now();
    const registered = await gql(
      system.url,
      REGISTER,
      { input: { firstName: 'Amélie', lastName: 'Poulain', birthDate: '1985-06-15', sex: 'FEMALE' } },
      secretary.token,
    );
    assert.equal(registered.status, 200);
    assert.deepEqual(registered.errors, undefined);
    const patientId = registered.data?.registerPatient.id as string;
    assert.match(patientId, /^[0-9a-f-]{36}$/);

    const event = await live.next(20000);
    const latencyMs = Date.now() - startedAt;
    assert.deepEqual(event.errors, undefined);
    const pushed = event.data?.notificationAdded;
    assert.equal(pushed.kind, 'PATIENT_REGISTERED');
    assert.equal(pushed.body, 'Amélie POULAIN was registered.');
    assert.equal(pushed.read, false);
    assert.equal(pushed.patient.id, patientId);
    console.log(`# notification delivered ${latencyMs} ms after registerPatient was sent`);

    // The bell: the notification, with the patient's name resolved through federation, in one request.
    const bell = await gql(system.url, BELL, {}, doctor.token);
    assert.deepEqual(bell.errors, undefined);
    const listed = bell.data?.myNotifications.find((n: { id: string }) => n.id === pushed.id);
    assert.ok(listed, 'the pushed notification is in the bell');
    assert.deepEqual(listed.patient, { id: patientId, firstName: 'Amélie', lastName: 'Poulain' });
    assert.equal(bell.data?.unreadNotificationCount, 1);

    const marked = await gql(
      system.url,
      'mutation Read($id: ID!) { markNotificationRead(id: $id) { id read } }',
      { id: pushed.id },
      doctor.token,
    );
    assert.deepEqual(marked.data?.markNotificationRead, { id: pushed.id, read: true });
    const again = await gql(
      system.url,
      'mutation Read($id: ID!) { markNotificationRead(id: $id) { read } }',
      { id: pushed.id },
      doctor.token,
    );
    assert.equal(again.data?.markNotificationRead.read, true, 'marking twice is harmless');

    const after = await gql(system.url, BELL, {}, doctor.token);
    assert.equal(after.data?.unreadNotificationCount, 0);
    assert.equal(after.data?.myNotifications.find((n: { id: string }) => n.id === pushed.id).read, true);

    // Read state is per user: the secretary has not read it.
    const secretaryBell = await gql(system.url, BELL, {}, secretary.token);
    assert.equal(secretaryBell.data?.unreadNotificationCount, 1, JSON.stringify(secretaryBell));

    // The patient list of the practice has the new patient.
    const list = await gql(system.url, '{ patients(search: "poul") { id lastName } }', {}, secretary.token);
    assert.deepEqual(list.data?.patients, [{ id: patientId, lastName: 'Poulain' }]);
  } finally {
    await live.close();
  }
});

test('a notification is pushed only to the practice it concerns', async () => {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const outsider = await staffMember(system.url, admin.token, {
    email: uniqueEmail('doctor-elsewhere'),
    role: 'DOCTOR',
    cabinetId: crypto.randomUUID(),
  });
  const insider = await staffMember(system.url, admin.token, {
    email: uniqueEmail('doctor'),
    role: 'DOCTOR',
    cabinetId: system.admin.cabinetId,
  });
  const registrar = await staffMember(system.url, admin.token, {
    email: uniqueEmail('secretary'),
    role: 'SECRETARY',
    cabinetId: system.admin.cabinetId,
  });
  const outsiderFeed = await subscribe(system.wsUrl, outsider.token, NOTIFICATION_ADDED);
  const insiderFeed = await subscribe(system.wsUrl, insider.token, NOTIFICATION_ADDED);
  try {
    await gql(
      system.url,
      REGISTER,
      { input: { firstName: 'Jean', lastName: 'Valjean', birthDate: '1969-01-01' } },
      registrar.token,
    );
    const event = await insiderFeed.next(20000);
    assert.equal(event.data?.notificationAdded.body, 'Jean VALJEAN was registered.');
    await assert.rejects(outsiderFeed.next(2000), /no event within/);
    const bell = await gql(system.url, BELL, {}, outsider.token);
    assert.deepEqual(bell.data?.myNotifications, []);
  } finally {
    await outsiderFeed.close();
    await insiderFeed.close();
  }
});
