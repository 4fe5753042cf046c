import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gql, login, STAFF_PASSWORD, staffMember, subscribe, waitFor } from '../support/client.ts';
import { type DedicatedBroker, dedicatedBroker } from '../support/kafka.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

// Nothing is lost when the broker is down: the outbox keeps the event until the broker returns,
// and the consumer's inbox makes its redelivery harmless.
let broker: DedicatedBroker;
let system: TestSystem;
const groupId = `notifications-outage-${Date.now()}`;
// The restarted system must read the topics the first one wrote to.
const extraEnv = { KAFKA_TOPIC_PREFIX: `outage-${Date.now()}.` };
before(async () => {
  broker = await dedicatedBroker();
  system = await startTestSystem({ kafkaBrokers: broker.brokers, kafkaGroupId: groupId, extraEnv });
});
after(async () => {
  await system?.stop();
  await broker?.destroy();
  exitWhenIdle();
});

test('Kafka stopped, a patient registered, Kafka started again: the notification arrives, exactly once', async () => {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const practice = system.admin.cabinetId;
  const doctor = await staffMember(system.url, admin.token, {
    email: uniqueEmail('doctor'),
    role: 'DOCTOR',
    cabinetId: practice,
  });
  const secretary = await staffMember(system.url, admin.token, {
    email: uniqueEmail('secretary'),
    role: 'SECRETARY',
    cabinetId: practice,
  });
  const live = await subscribe(
    system.wsUrl,
    doctor.token,
    'subscription { notificationAdded { id body patient { id } } }',
  );
  try {
    // The pipeline works before the outage.
    await gql(
      system.url,
      'mutation { registerPatient(input: { firstName: "Avant", lastName: "Panne", birthDate: "1990-01-01" }) { id } }',
      {},
      secretary.token,
    );
    assert.equal((await live.next(30000)).data?.notificationAdded.body, 'Avant PANNE was registered.');

    await broker.stop();
    const registered = await gql(
      system.url,
      'mutation { registerPatient(input: { firstName: "Pendant", lastName: "Panne", birthDate: "1991-02-02" }) { id } }',
      {},
      secretary.token,
    );
    assert.deepEqual(registered.errors, undefined, 'registering does not depend on the broker');
    const patientId = registered.data?.registerPatient.id as string;
    await sleep(3000);
    assert.equal(live.received.length, 1, 'nothing can arrive while the broker is down');

    const restartedAt = Date.now();
    await broker.start();
    const event = await live.next(120000);
    console.log(`# notification delivered ${Date.now() - restartedAt} ms after the broker was started again`);
    assert.equal(event.data?.notificationAdded.patient.id, patientId);

    // Exactly once: give any redelivery time to happen, then count.
    await sleep(5000);
    const bell = await gql(system.url, '{ myNotifications(limit: 100) { id patient { id } } }', {}, doctor.token);
    const forPatient = bell.data?.myNotifications.filter(
      (n: { patient: { id: string } | null }) => n.patient?.id === patientId,
    );
    assert.equal(forPatient.length, 1);
    assert.equal(live.received.length, 2);
  } finally {
    await live.close();
  }
});

test('a registration made while the broker is down is published even if the service restarts meanwhile', async () => {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const email = uniqueEmail('secretary');
  const secretary = await staffMember(system.url, admin.token, {
    email,
    role: 'SECRETARY',
    cabinetId: system.admin.cabinetId,
  });
  await broker.stop();
  const registered = await gql(
    system.url,
    'mutation { registerPatient(input: { firstName: "Durable", lastName: "Outbox", birthDate: "1992-03-03" }) { id } }',
    {},
    secretary.token,
  );
  const patientId = registered.data?.registerPatient.id as string;
  assert.match(patientId, /^[0-9a-f-]{36}$/);
  // The event exists only in the outbox now; restart every service, then the broker.
  const sameAdmin = system.admin;
  await system.stop();
  await broker.start();
  system = await startTestSystem({ kafkaBrokers: broker.brokers, admin: sameAdmin, kafkaGroupId: groupId, extraEnv });
  const again = await login(system.url, email, STAFF_PASSWORD);
  await waitFor(async () => {
    const bell = await gql(system.url, '{ myNotifications(limit: 100) { patient { id } } }', {}, again.token);
    return bell.data?.myNotifications.some((n: { patient: { id: string } | null }) => n.patient?.id === patientId);
  }, 60000);
});
