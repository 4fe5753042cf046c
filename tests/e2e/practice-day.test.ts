// End to end, through the router: a day at the practice. A secretary books, the practitioner
// (subscribed) hears of it live, the patient checks in and is first in the queue, the practitioner
// calls them in, the secretaries and the patient are told; the patient is reminded the day before.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD, type Subscription, subscribe, waitFor } from '../support/client.ts';
import { letters, OPEN_ALL_WEEK, PRACTICE_TIME_ZONE, rppsNumber } from '../support/practice.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

let system: TestSystem;
let admin: string;
let cabinetId: string;
let doctor: { token: string; userId: string };
let secretary: { token: string; userId: string };
let patient: { token: string; userId: string };
let patientId: string;
let appointmentTypeId: string;

/** Data of a call that has to work. */
async function must(query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  const response = await gql(system.url, query, variables, token);
  if (response.errors || !response.data) throw new Error(`call failed: ${JSON.stringify(response.errors)}`);
  return response.data;
}

async function account(role: string, extra: Record<string, string> = {}): Promise<{ token: string; userId: string }> {
  const email = uniqueEmail(`day-${role.toLowerCase()}`);
  await must(
    STAFF_ACCOUNT,
    { input: { email, password: STAFF_PASSWORD, name: `Day ${role}`, role, cabinetId, ...extra } },
    admin,
  );
  return login(system.url, email, STAFF_PASSWORD);
}

const NOTIFICATIONS = 'subscription { notificationAdded { kind title body appointment { id } } }';
const PATIENT_NOTIFICATIONS = 'subscription { notificationAdded { kind title body } }';
const BOOK = `mutation Book($input: BookAppointmentInput!) { bookAppointment(input: $input) { id status startsAt } }`;

/** Waits for the next notification of `kind` on a live feed (skipping others), and returns it. */
async function nextOfKind(
  feed: Subscription<{ data?: any }>,
  kind: string,
  timeoutMs = 20_000,
): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const event = await feed.next(Math.max(1, deadline - Date.now()));
    const notification = event.data?.notificationAdded;
    if (notification?.kind === kind) return notification;
  }
}

/**
 * A start time today, half a minute from now (the agenda is open all day): too close for a
 * reminder even with this system's short lead.
 */
const soon = (): string => new Date(Date.now() + 30_000).toISOString();

before(async () => {
  // Reminders: 17 minutes ahead instead of a day, looked for every 200 ms, so the test can see one.
  system = await startTestSystem({ extraEnv: { REMINDER_LEAD_MINUTES: '17', REMINDER_POLL_MS: '200' } });
  admin = (await login(system.url, system.admin.email, system.admin.password)).token;
  const created = await must(
    `mutation Create($input: CreateCabinetInput!) { createCabinet(input: $input) { id } }`,
    {
      input: {
        name: `Cabinet du jour ${randomUUID().slice(0, 8)}`,
        specialty: 'Médecine générale',
        address: { street: '3 place Bellecour', postalCode: '69002', city: 'Lyon', country: 'FR' },
        timeZone: PRACTICE_TIME_ZONE,
      },
    },
    admin,
  );
  cabinetId = created.createCabinet.id;
  doctor = await account('DOCTOR');
  secretary = await account('SECRETARY');
  await must(
    `mutation Attach($input: AttachPractitionerInput!) { attachPractitioner(input: $input) { id } }`,
    { input: { cabinetId, userId: doctor.userId, specialty: 'Médecine générale', rpps: rppsNumber() } },
    admin,
  );
  patientId = (
    await must(
      'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { firstName: 'Éloïse', lastName: `Durand-${letters()}`, birthDate: '1984-06-12' } },
      secretary.token,
    )
  ).registerPatient.id;
  patient = await account('PATIENT', { patientId });
  await must(
    `mutation Week($input: WeeklyAvailabilityInput!) { setWeeklyAvailability(input: $input) { id } }`,
    {
      input: {
        practitionerId: doctor.userId,
        cabinetId,
        timeZone: PRACTICE_TIME_ZONE,
        rules: OPEN_ALL_WEEK,
      },
    },
    secretary.token,
  );
  appointmentTypeId = (
    await must(
      'mutation Type($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id } }',
      { input: { cabinetId, label: 'Consultation', durationMinutes: 15 } },
      secretary.token,
    )
  ).createAppointmentType.id;
});

after(async () => {
  await system?.stop();
  exitWhenIdle();
});

test('a secretary books; the practitioner hears it live; check-in, queue position 1, call, and the status moves', async () => {
  const doctorFeed = await subscribe(system.wsUrl, doctor.token, NOTIFICATIONS);
  const secretaryFeed = await subscribe(system.wsUrl, secretary.token, NOTIFICATIONS);
  const patientFeed = await subscribe(system.wsUrl, patient.token, PATIENT_NOTIFICATIONS);
  try {
    const sent = performance.now();
    const booked = (
      await must(
        BOOK,
        { input: { patientId, practitionerId: doctor.userId, cabinetId, appointmentTypeId, startsAt: soon() } },
        secretary.token,
      )
    ).bookAppointment;
    assert.equal(booked.status, 'BOOKED');

    const heard = await nextOfKind(doctorFeed, 'APPOINTMENT_BOOKED');
    console.log(`# booking sent → practitioner notified live in ${(performance.now() - sent).toFixed(0)} ms`);
    assert.equal(heard.appointment.id, booked.id);
    assert.match(heard.body, /Appointment booked for/);
    const told = await nextOfKind(patientFeed, 'APPOINTMENT_BOOKED');
    assert.match(told.body, /Your appointment is booked for/);

    const checkedIn = (
      await must(
        'mutation CheckIn($id: ID!) { checkInAppointment(id: $id) { id status } }',
        { id: booked.id },
        secretary.token,
      )
    ).checkInAppointment;
    assert.equal(checkedIn.status, 'ARRIVED');
    assert.equal((await nextOfKind(doctorFeed, 'PATIENT_CHECKED_IN')).appointment.id, booked.id);

    // The practitioner's waiting room, with the patient's name, in one request.
    const room = (
      await must(
        `query Room($c: ID!, $p: ID!) {
          waitingRoom(cabinetId: $c, practitionerId: $p) {
            position estimatedWaitMinutes appointment { id status patient { id lastName } }
          }
        }`,
        { c: cabinetId, p: doctor.userId },
        doctor.token,
      )
    ).waitingRoom;
    assert.equal(room.length, 1);
    assert.equal(room[0].position, 1);
    assert.equal(room[0].appointment.id, booked.id);
    assert.equal(room[0].appointment.patient.id, patientId);
    assert.match(room[0].appointment.patient.lastName, /^Durand-/);

    const called = (
      await must(
        'mutation Call($c: ID!, $p: ID!) { callNextPatient(cabinetId: $c, practitionerId: $p) { id status } }',
        { c: cabinetId, p: doctor.userId },
        doctor.token,
      )
    ).callNextPatient;
    assert.deepEqual(called, { id: booked.id, status: 'IN_CONSULTATION' });
    assert.equal((await nextOfKind(secretaryFeed, 'PATIENT_CALLED')).appointment.id, booked.id);
    assert.equal((await nextOfKind(patientFeed, 'PATIENT_CALLED')).title, 'It is your turn');
    const after = (
      await must('query One($id: ID!) { appointment(id: $id) { status } }', { id: booked.id }, secretary.token)
    ).appointment;
    assert.equal(after.status, 'IN_CONSULTATION');
    assert.deepEqual(
      (
        await must(
          'query Room($c: ID!, $p: ID!) { waitingRoom(cabinetId: $c, practitionerId: $p) { position } }',
          { c: cabinetId, p: doctor.userId },
          secretary.token,
        )
      ).waitingRoom,
      [],
    );
    // The bell of each: the practitioner was not told of the call they made themselves.
    const bell = (await must('{ myNotifications(limit: 50) { kind } }', {}, doctor.token)).myNotifications.map(
      (notification: { kind: string }) => notification.kind,
    );
    assert.ok(bell.includes('APPOINTMENT_BOOKED') && bell.includes('PATIENT_CHECKED_IN'), bell.join());
    assert.ok(!bell.includes('PATIENT_CALLED'), bell.join());
  } finally {
    await Promise.all([doctorFeed.close(), secretaryFeed.close(), patientFeed.close()]);
  }
});

test('the patient is reminded once before the appointment; staff of the practice are not', async () => {
  const patientFeed = await subscribe(system.wsUrl, patient.token, PATIENT_NOTIFICATIONS);
  try {
    const mine = async () =>
      (await must('{ myNotifications(limit: 100) { kind body } }', {}, patient.token)).myNotifications.filter(
        (notification: { kind: string }) => notification.kind === 'APPOINTMENT_REMINDER',
      );
    assert.deepEqual(await mine(), []);
    // With a 17-minute lead, a booking 17 min 20 s ahead (after the first test's 15-minute
    // appointment) is reminded about 20 s from now.
    const startsAt = new Date(Date.now() + 17 * 60_000 + 20_000).toISOString();
    const booked = (
      await must(
        BOOK,
        { input: { patientId, practitionerId: doctor.userId, cabinetId, appointmentTypeId, startsAt } },
        secretary.token,
      )
    ).bookAppointment;
    assert.equal(booked.status, 'BOOKED');
    const reminder = await nextOfKind(patientFeed, 'APPOINTMENT_REMINDER', 60_000);
    assert.match(reminder.body, /Reminder: you have an appointment on/);
    // Exactly one reminder, still one a few polling rounds later.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await mine()).length, 1);
    const staffBell = (await must('{ myNotifications(limit: 100) { kind } }', {}, secretary.token)).myNotifications;
    assert.ok(!staffBell.some((notification: { kind: string }) => notification.kind === 'APPOINTMENT_REMINDER'));
  } finally {
    await patientFeed.close();
  }
});

test('a patient books online for themselves: offered types, free slots, booking, their appointments', async () => {
  const online = (
    await must(
      'mutation Type($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id } }',
      { input: { cabinetId, label: 'Suivi en ligne', durationMinutes: 15, selfBookable: true } },
      secretary.token,
    )
  ).createAppointmentType.id;
  const offered = (
    await must('query Types($c: ID!) { appointmentTypes(cabinetId: $c) { id label } }', { c: cabinetId }, patient.token)
  ).appointmentTypes;
  assert.deepEqual(offered, [{ id: online, label: 'Suivi en ligne' }]);
  // Two days ahead, when the agenda is free.
  const from = new Date(Date.now() + 2 * 86_400_000);
  const slots = (
    await must(
      'query Slots($p: ID!, $c: ID!, $t: ID!, $from: String!, $to: String!) { availableSlots(practitionerId: $p, cabinetId: $c, appointmentTypeId: $t, from: $from, to: $to) { startsAt } }',
      {
        p: doctor.userId,
        c: cabinetId,
        t: online,
        from: from.toISOString(),
        to: new Date(from.getTime() + 3_600_000).toISOString(),
      },
      patient.token,
    )
  ).availableSlots;
  assert.ok(slots.length >= 3, JSON.stringify(slots));
  const doctorFeed = await subscribe(system.wsUrl, doctor.token, NOTIFICATIONS);
  try {
    const booked = (
      await must(
        BOOK,
        {
          input: {
            patientId,
            practitionerId: doctor.userId,
            cabinetId,
            appointmentTypeId: online,
            startsAt: slots[0].startsAt,
          },
        },
        patient.token,
      )
    ).bookAppointment;
    assert.equal(booked.status, 'BOOKED');
    assert.equal((await nextOfKind(doctorFeed, 'APPOINTMENT_BOOKED')).appointment.id, booked.id);
    const mine = (await must('{ myAppointments { id startsAt appointmentType { label } } }', {}, patient.token))
      .myAppointments;
    assert.ok(
      mine.some((appointment: { id: string }) => appointment.id === booked.id),
      JSON.stringify(mine),
    );
    // Not for someone else, not a type the practice keeps for the desk.
    const refused = await gql(
      system.url,
      BOOK,
      {
        input: {
          patientId,
          practitionerId: doctor.userId,
          cabinetId,
          appointmentTypeId,
          startsAt: slots[2].startsAt,
        },
      },
      patient.token,
    );
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(refused));
  } finally {
    await doctorFeed.close();
  }
});

test('a patient account sees its own notifications only', async () => {
  const otherFile = (
    await must(
      'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { firstName: 'Autre', lastName: `Patient-${letters()}`, birthDate: '1990-01-01' } },
      secretary.token,
    )
  ).registerPatient.id;
  const other = await account('PATIENT', { patientId: otherFile });
  await waitFor(async () => {
    const kinds = (await must('{ myNotifications(limit: 100) { kind } }', {}, patient.token)).myNotifications;
    return kinds.length > 0;
  });
  const theirs = (await must('{ myNotifications(limit: 100) { kind } }', {}, other.token)).myNotifications;
  assert.deepEqual(theirs, []);
});

test('right of access: the patient exports their data across subgraphs in one request; staff cannot', async () => {
  const EXPORT = `{ myDataExport {
    patientId generatedAt
    account { email role patientId }
    file { firstName lastName birthDate medicalRecord { allergies { substance } } }
    appointments { id status startsAt appointmentType { label } }
    prescriptions { id }
    notifications { kind title }
    accessLog { action role service }
  } }`;
  const exported = (await must(EXPORT, {}, patient.token)).myDataExport;
  assert.equal(exported.patientId, patientId);
  assert.equal(exported.account.role, 'PATIENT');
  assert.equal(exported.account.patientId, patientId);
  assert.match(exported.file.lastName, /^Durand-/);
  assert.deepEqual(exported.file.medicalRecord.allergies, []);
  assert.deepEqual(exported.prescriptions, []);
  assert.ok(exported.appointments.length >= 2, JSON.stringify(exported.appointments));
  assert.ok(exported.notifications.some((n: { kind: string }) => n.kind === 'APPOINTMENT_BOOKED'));
  // The staff read this patient's file today (the waiting room, the agenda): the log says so.
  assert.ok(
    exported.accessLog.some((access: { role: string }) => access.role === 'SECRETARY' || access.role === 'DOCTOR'),
    JSON.stringify(exported.accessLog),
  );
  // Staff have no export of their own, and cannot ask for someone else's.
  const refused = await gql(system.url, EXPORT, {}, secretary.token);
  assert.equal(refused.data?.myDataExport ?? null, null);
  assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(refused));
});
