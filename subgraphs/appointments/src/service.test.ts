// Integration: the appointments service on the real PostgreSQL test database. Every test works
// in a practice and with a practitioner of its own (random ids), so runs side by side never
// see each other's appointments.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  APPOINTMENT_BOOKED,
  APPOINTMENT_CALLED,
  APPOINTMENT_CANCELLED,
  APPOINTMENT_CHECKED_IN,
  APPOINTMENT_COMPLETED,
  APPOINTMENT_CONFIRMED,
  APPOINTMENT_NO_SHOW,
  APPOINTMENT_REMINDER_DUE,
  APPOINTMENT_RESCHEDULED,
} from '@cabinet/platform/appointment-events';
import { Auditor } from '@cabinet/platform/audit';
import {
  CABINET_CREATED,
  CABINET_DEACTIVATED,
  CABINET_UPDATED,
  type CabinetSnapshot,
  PRACTITIONER_ATTACHED,
  PRACTITIONER_DETACHED,
} from '@cabinet/platform/cabinet-events';
import { CONSULTATION_SIGNED } from '@cabinet/platform/consultation-events';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError, type ErrorCode } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, type AccessAudited, envelope, PATIENT_REGISTERED } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { execute, type GraphQLError, parse, subscribe } from 'graphql';
import { AgendaReader } from './agenda.ts';
import { addDays, localDateOf, zonedToUtc } from './domain/time.ts';
import { ENTITIES } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { Projection } from './projection.ts';
import { createResolvers } from './resolvers.ts';
import { typeDefs } from './server.ts';
import {
  AGENDA_TAKEN,
  ALREADY_IN_CONSULTATION,
  AppointmentsService,
  FOR_THEMSELVES,
  NOBODY_WAITING,
  NOT_SELF_BOOKABLE,
  NOT_TODAY,
} from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_appointments`;
const PARIS = 'Europe/Paris';
const log = createLogger('test', 'silent');

let orm: MikroORM;
let auditor: Auditor;
let service: AppointmentsService;
let projection: Projection;
const topic = `test-${randomUUID()}.appointments`;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities: [...ENTITIES, OutboxEvent], migrations });
  // Audit records and events go to the outbox under topics of this run; no relay publishes them.
  auditor = new Auditor({ service: 'appointments', orm, topic: `test-${randomUUID()}.audit`, onRecorded: () => {} });
  service = new AppointmentsService({ orm, log, topic, auditor, onEventsRecorded: () => {}, projectionWaitMs: 200 });
  projection = new Projection(orm, log);
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, userId: string = randomUUID()): Caller => ({
  requestId: randomUUID(),
  clientAddress: '2001:db8::1',
  identity: { userId, role, cabinetId, patientId: role === 'PATIENT' ? randomUUID() : null },
});

/** A local date `days` days from today in Paris. */
const inDays = (days: number): string => addDays(localDateOf(new Date(), PARIS), days);
/** An ISO instant for a local date and time in Paris. */
const paris = (date: string, time: string): string => zonedToUtc(date, time, PARIS).toISOString();

/** A practice as the cabinets subgraph announces it. */
const snapshot = (cabinetId: string, changes: Partial<CabinetSnapshot> = {}): CabinetSnapshot => ({
  cabinetId,
  name: `Cabinet ${cabinetId}`,
  specialty: 'Médecine générale',
  address: { street: '1 rue de la République', postalCode: '69001', city: 'Lyon', country: 'FR' },
  phone: null,
  email: null,
  logoUrl: null,
  openingHours: [],
  timeZone: PARIS,
  active: true,
  ...changes,
});

/** What the cabinets and patients subgraphs would have announced: a practice, a doctor attached, patients. */
const known = {
  practice: (cabinetId: string, active = true) =>
    projection.apply(envelope('cabinets', CABINET_CREATED, cabinetId, null, snapshot(cabinetId, { active }))),
  practitioner: (cabinetId: string, userId: string) =>
    projection.apply(
      envelope('cabinets', PRACTITIONER_ATTACHED, cabinetId, null, {
        practitionerId: randomUUID(),
        cabinetId,
        userId,
        specialty: 'Médecine générale',
        rpps: '10000000008',
      }),
    ),
  patient: async (cabinetId: string, patientId: string = randomUUID()) => {
    await projection.apply(
      envelope('patients', PATIENT_REGISTERED, cabinetId, null, { patientId, cabinetId, displayName: 'P' }),
    );
    return patientId;
  },
};

/**
 * A practice with a doctor (the practitioner, open every day 08:00–12:00 and 14:00–19:00), a
 * secretary, a type and patients (each booking takes the next one).
 */
async function practice(durationMinutes = 30) {
  const cabinetId = randomUUID();
  const doctor = as('DOCTOR', cabinetId);
  const secretary = as('SECRETARY', cabinetId);
  const practitionerId = doctor.identity?.userId as string;
  await known.practice(cabinetId);
  await known.practitioner(cabinetId, practitionerId);
  const patients = await Promise.all(Array.from({ length: 8 }, () => known.patient(cabinetId)));
  let bookings = 0;
  const type = await service.createAppointmentType(secretary, { cabinetId, label: 'Consultation', durationMinutes });
  const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
  await service.setWeeklyAvailability(secretary, {
    practitionerId,
    cabinetId,
    timeZone: PARIS,
    rules: days.flatMap((weekday) => [
      { weekday, startTime: '08:00', endTime: '12:00' },
      { weekday, startTime: '14:00', endTime: '19:00' },
    ]),
  });
  const booking = (startsAt: string, patientId: string = patients[bookings++ % patients.length] as string) => ({
    patientId,
    practitionerId,
    cabinetId,
    appointmentTypeId: type.id,
    startsAt,
  });
  return { cabinetId, doctor, secretary, practitionerId, type, booking, patients };
}

const fails = (code: ErrorCode, message?: string | RegExp) => (error: unknown) => {
  assert.ok(error instanceof DomainError, String(error));
  assert.equal(error.code, code, error.message);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message) assert.match(error.message, message);
  return true;
};

async function eventsOf(appointmentId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await sql<{ type: string; payload: { data: Record<string, unknown> } }>(
    orm.em.fork(),
    `select type, payload from outbox_event where topic = ? and key = ? order by occurred_at, id`,
    [topic, appointmentId],
  );
  return rows.map((row) => ({ type: row.type, data: row.payload.data }));
}

async function auditOf(entityId: string): Promise<AccessAudited[]> {
  const rows = await sql<{ payload: { data: AccessAudited } }>(
    orm.em.fork(),
    `select payload from outbox_event where type = ? and payload->'data'->>'entityId' = ? order by occurred_at, id`,
    [ACCESS_AUDITED, entityId],
  );
  return rows.map((row) => row.payload.data);
}

const countIn = async (practitionerId: string, from: string, to: string): Promise<number> => {
  const [row] = await sql<{ count: string }>(
    orm.em.fork(),
    `select count(*) from appointment where practitioner_id = ? and status not in ('CANCELLED', 'NO_SHOW')
     and period && tstzrange(?::timestamptz, ?::timestamptz)`,
    [practitionerId, from, to],
  );
  return Number(row?.count);
};

test('a secretary books an appointment: booked, announced, audited, no longer a free slot', async () => {
  const { cabinetId, secretary, practitionerId, type, booking } = await practice();
  const day = inDays(10);
  const patientId = await known.patient(cabinetId);
  const booked = await service.book(secretary, booking(paris(day, '09:00'), patientId));
  assert.equal(booked.status, 'BOOKED');
  assert.equal(booked.startsAt, paris(day, '09:00'));
  assert.equal(booked.endsAt, paris(day, '09:30'));
  assert.equal(booked.overbooked, false);
  assert.equal(booked.appointmentType.label, 'Consultation');

  const events = await eventsOf(booked.id);
  assert.deepEqual(events, [
    {
      type: APPOINTMENT_BOOKED,
      data: {
        appointmentId: booked.id,
        cabinetId,
        patientId,
        practitionerId,
        appointmentTypeId: type.id,
        startsAt: booked.startsAt,
        endsAt: booked.endsAt,
        timeZone: 'Europe/Paris',
        status: 'BOOKED',
        overbooked: false,
      },
    },
  ]);
  const audit = await auditOf(booked.id);
  assert.deepEqual(
    audit.map((record) => [record.action, record.outcome, record.patientId, record.userId]),
    [['bookAppointment', 'ALLOWED', patientId, secretary.identity?.userId]],
  );

  const slots = await service.availableSlots(secretary, {
    practitionerId,
    cabinetId,
    appointmentTypeId: type.id,
    from: paris(day, '08:00'),
    to: paris(day, '10:00'),
  });
  assert.deepEqual(
    slots.map((slot) => slot.startsAt),
    [paris(day, '08:00'), paris(day, '08:30'), paris(day, '09:30')],
  );
  const listed = await service.list(secretary, { cabinetId, from: paris(day, '00:00'), to: paris(day, '24:00') });
  assert.deepEqual(
    listed.map((appointment) => appointment.id),
    [booked.id],
  );
  assert.deepEqual(await service.byId(secretary, booked.id), booked);
});

test('an overlapping booking is a readable CONFLICT, and the database keeps one', async () => {
  const { secretary, practitionerId, booking } = await practice();
  const day = inDays(11);
  await service.book(secretary, booking(paris(day, '10:00')));
  await assert.rejects(service.book(secretary, booking(paris(day, '10:15'))), fails('CONFLICT', AGENDA_TAKEN));
  await assert.rejects(service.book(secretary, booking(paris(day, '09:45'))), fails('CONFLICT', AGENDA_TAKEN));
  // Back to back is no overlap.
  await service.book(secretary, booking(paris(day, '10:30')));
  assert.equal(await countIn(practitionerId, paris(day, '00:00'), paris(day, '24:00')), 2);
});

test('cancelling frees the slot; cancelling twice is a CONFLICT', async () => {
  const { secretary, booking } = await practice();
  const day = inDays(12);
  const first = await service.book(secretary, booking(paris(day, '15:00')));
  const cancelled = await service.cancel(secretary, first.id, '  Patient indisponible ');
  assert.equal(cancelled.status, 'CANCELLED');
  assert.equal(cancelled.cancellationReason, 'Patient indisponible');
  const again = await service.book(secretary, booking(paris(day, '15:00')));
  assert.equal(again.status, 'BOOKED');
  await assert.rejects(
    service.cancel(secretary, first.id, 'encore'),
    fails('CONFLICT', 'This appointment is already cancelled'),
  );
  await assert.rejects(service.cancel(secretary, again.id, '  '), fails('BAD_USER_INPUT', 'reason must not be empty'));
  assert.deepEqual(
    (await eventsOf(first.id)).map((event) => event.type),
    [APPOINTMENT_BOOKED, APPOINTMENT_CANCELLED],
  );
  assert.equal((await eventsOf(first.id))[1]?.data.reason, undefined, 'the reason stays in the subgraph');
});

test('pending appointments are confirmed once; a no-show needs the appointment to have started', async () => {
  const { secretary, booking } = await practice();
  const day = inDays(13);
  const held = await service.book(secretary, { ...booking(paris(day, '08:00')), pending: true });
  assert.equal(held.status, 'PENDING');
  await assert.rejects(service.book(secretary, booking(paris(day, '08:10'))), fails('CONFLICT', AGENDA_TAKEN));
  assert.equal((await service.confirm(secretary, held.id)).status, 'BOOKED');
  await assert.rejects(service.confirm(secretary, held.id), fails('CONFLICT', 'This appointment is already booked'));
  await assert.rejects(service.markNoShow(secretary, held.id), fails('BAD_USER_INPUT', /not started yet/));
  const later = new AppointmentsService({
    orm,
    log,
    topic,
    auditor,
    onEventsRecorded: () => {},
    clock: () => new Date(Date.now() + 20 * 86_400_000),
  });
  assert.equal((await later.markNoShow(secretary, held.id)).status, 'NO_SHOW');
  await assert.rejects(
    later.cancel(secretary, held.id, 'trop tard'),
    fails('CONFLICT', 'An appointment that is marked as a no-show cannot be cancelled'),
  );
});

test('rescheduling moves an appointment to another day atomically; a taken time changes nothing', async () => {
  const { secretary, practitionerId, booking } = await practice();
  const [day, other] = [inDays(14), inDays(15)];
  const appointment = await service.book(secretary, booking(paris(day, '11:00')));
  const blocker = await service.book(secretary, booking(paris(other, '16:00')));
  await assert.rejects(
    service.reschedule(secretary, appointment.id, paris(other, '16:15')),
    fails('CONFLICT', AGENDA_TAKEN),
  );
  assert.equal((await service.byId(secretary, appointment.id)).startsAt, paris(day, '11:00'), 'unchanged');
  await assert.rejects(
    service.reschedule(secretary, appointment.id, paris(other, '12:00')),
    fails('BAD_USER_INPUT', "This time is outside the practitioner's opening hours"),
  );
  const moved = await service.reschedule(secretary, appointment.id, paris(other, '16:30'));
  assert.deepEqual([moved.startsAt, moved.endsAt], [paris(other, '16:30'), paris(other, '17:00')]);
  // Its former time is free again; a 15-minute overlap with its neighbour is not.
  await service.book(secretary, booking(paris(day, '11:00')));
  assert.equal(await countIn(practitionerId, paris(other, '16:00'), paris(other, '17:00')), 2);
  assert.notEqual(blocker.id, moved.id);
  const events = await eventsOf(appointment.id);
  assert.deepEqual(events[1], {
    type: APPOINTMENT_RESCHEDULED,
    data: {
      appointmentId: appointment.id,
      cabinetId: appointment.cabinetId,
      patientId: appointment.patientId,
      practitionerId,
      previousStartsAt: paris(day, '11:00'),
      previousEndsAt: paris(day, '11:30'),
      startsAt: paris(other, '16:30'),
      endsAt: paris(other, '17:00'),
      timeZone: 'Europe/Paris',
    },
  });
  await service.cancel(secretary, moved.id, 'Annulé');
  await assert.rejects(
    service.reschedule(secretary, moved.id, paris(other, '17:00')),
    fails('CONFLICT', 'An appointment that is cancelled cannot be rescheduled'),
  );
});

test('bookings outside opening hours, on leave, or in the past are refused, readably', async () => {
  const { cabinetId, secretary, practitionerId, booking } = await practice();
  const day = inDays(16);
  await assert.rejects(
    service.book(secretary, booking(paris(day, '11:45'))),
    fails('BAD_USER_INPUT', "This time is outside the practitioner's opening hours"),
  );
  await assert.rejects(service.book(secretary, booking(paris(day, '20:00'))), fails('BAD_USER_INPUT'));
  await service.addAvailabilityException(secretary, {
    practitionerId,
    cabinetId,
    startDate: day,
    endDate: addDays(day, 1),
    reason: 'Congés',
  });
  await assert.rejects(
    service.book(secretary, booking(paris(day, '09:00'))),
    fails('BAD_USER_INPUT', `The practitioner is not available on ${day} (leave or closure)`),
  );
  await assert.rejects(
    service.book(secretary, booking(paris(inDays(-1), '09:00'))),
    fails('BAD_USER_INPUT', 'An appointment cannot start in the past'),
  );
  await assert.rejects(service.book(secretary, booking('2030-01-01 09:00')), fails('BAD_USER_INPUT', /ISO 8601/));
  const other = { ...booking(paris(inDays(20), '09:00')), practitionerId: randomUUID() };
  await assert.rejects(service.book(secretary, other), fails('NOT_FOUND', /^Practitioner /));
  await known.practitioner(cabinetId, other.practitionerId);
  await assert.rejects(service.book(secretary, other), fails('BAD_USER_INPUT', /no opening hours/));
  const slots = await service.availableSlots(secretary, {
    ...booking(''),
    from: paris(day, '00:00'),
    to: paris(addDays(day, 3), '00:00'),
  });
  assert.equal(slots[0]?.startsAt, paris(addDays(day, 2), '08:00'), 'none on the days of leave');
  assert.equal(slots.length, 18);
});

test("another practice's agenda and appointments are NOT_FOUND", async () => {
  const { cabinetId, secretary, booking, practitionerId, type } = await practice();
  const appointment = await service.book(secretary, booking(paris(inDays(17), '09:00')));
  const outsider = as('SECRETARY', randomUUID());
  await assert.rejects(service.book(outsider, booking(paris(inDays(17), '10:00'))), fails('NOT_FOUND'));
  await assert.rejects(service.byId(outsider, appointment.id), fails('NOT_FOUND'));
  await assert.rejects(service.cancel(outsider, appointment.id, 'x'), fails('NOT_FOUND'));
  await assert.rejects(
    service.list(outsider, { cabinetId, from: paris(inDays(17), '00:00'), to: paris(inDays(18), '00:00') }),
    fails('NOT_FOUND'),
  );
  await assert.rejects(
    service.availableSlots(outsider, {
      practitionerId,
      cabinetId,
      appointmentTypeId: type.id,
      from: paris(inDays(17), '00:00'),
      to: paris(inDays(18), '00:00'),
    }),
    fails('NOT_FOUND'),
  );
  // A type of another practice cannot be used either.
  const own = as('SECRETARY', outsider.identity?.cabinetId as string);
  await assert.rejects(
    service.book(own, { ...booking(paris(inDays(17), '10:00')), cabinetId: own.identity?.cabinetId as string }),
    fails('NOT_FOUND', `AppointmentType ${type.id} not found`),
  );
  const denied = (await auditOf(appointment.id)).filter((record) => record.outcome === 'DENIED');
  assert.deepEqual(
    denied.map((record) => [record.action, record.reason, record.patientId]),
    [
      ['appointment:read', 'NOT_FOUND', appointment.patientId],
      ['cancelAppointment', 'NOT_FOUND', appointment.patientId],
    ],
  );
});

test('roles: patients and admins are FORBIDDEN; only a doctor may overbook, and it is audited', async () => {
  const { cabinetId, doctor, secretary, booking } = await practice();
  const day = inDays(18);
  await assert.rejects(service.book(as('PATIENT', cabinetId), booking(paris(day, '09:00'))), fails('FORBIDDEN'));
  await assert.rejects(service.book(as('ADMIN', null), booking(paris(day, '09:00'))), fails('FORBIDDEN'));
  await assert.rejects(
    service.createAppointmentType(as('PATIENT', cabinetId), { cabinetId, label: 'x', durationMinutes: 10 }),
    fails('FORBIDDEN'),
  );
  const first = await service.book(secretary, booking(paris(day, '09:00')));
  await assert.rejects(service.book(secretary, booking(paris(day, '09:00')), true), fails('FORBIDDEN'));
  const over = await service.book(doctor, booking(paris(day, '09:00')), true);
  assert.equal(over.overbooked, true);
  assert.notEqual(over.id, first.id);
  assert.deepEqual(
    // Both records are written in the same transaction: their order is not meaningful.
    (await auditOf(over.id)).map((record) => record.action).sort(),
    ['bookAppointment', 'overbookAppointment'],
  );
});

test('through GraphQL: the resolvers return stubs for the patient and the practitioner', async () => {
  const { secretary, booking, practitionerId } = await practice();
  const booked = await service.book(secretary, booking(paris(inDays(19), '09:00')));
  const schema = buildSubgraphSchema([
    { typeDefs, resolvers: createResolvers(service, new AgendaReader({ orm, auditor })) },
  ]);
  const result = await execute({
    schema,
    document: parse(`query($id: ID!) { appointment(id: $id) {
      id status patient { id } practitioner { userId } appointmentType { durationMinutes } } }`),
    variableValues: { id: booked.id },
    contextValue: { caller: secretary, log },
  });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  assert.deepEqual(JSON.parse(JSON.stringify(result.data)), {
    appointment: {
      id: booked.id,
      status: 'BOOKED',
      patient: { id: booked.patientId },
      practitioner: { userId: practitionerId },
      appointmentType: { durationMinutes: 30 },
    },
  });
});

test('acceptance: 50 concurrent bookings of overlapping times with one practitioner, exactly one wins', async () => {
  const { cabinetId, practitionerId, booking } = await practice(30);
  const day = inDays(21);
  // 50 secretaries of the practice at once, each starting 0 to 9 minutes after 10:00: all overlap.
  const attempts = Array.from({ length: 50 }, (_, i) =>
    service.book(as('SECRETARY', cabinetId), booking(paris(day, `10:0${i % 10}`))),
  );
  const started = performance.now();
  const outcomes = await Promise.allSettled(attempts);
  const elapsed = performance.now() - started;
  const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  assert.equal(won.length, 1);
  assert.equal(refused.length, 49);
  for (const error of refused) fails('CONFLICT', AGENDA_TAKEN)(error);
  assert.equal(await countIn(practitionerId, paris(day, '00:00'), paris(day, '24:00')), 1);
  console.log(`# 50 concurrent bookings: 1 booked, 49 CONFLICT in ${elapsed.toFixed(0)} ms`);
});

// ---------------------------------------------------------------------------------------------
// The waiting room, on a service whose clock the test moves: tomorrow in Paris, from 08:40.

function waitingRoomDay() {
  const day = inDays(1);
  let now = new Date(paris(day, '08:40'));
  const clocked = new AppointmentsService({ orm, log, topic, auditor, onEventsRecorded: () => {}, clock: () => now });
  const at = (time: string): void => {
    now = new Date(paris(day, time));
  };
  return { day, clocked, at };
}

test('the waiting room: check-ins in order, positions and waits, call next, completion, all audited', async () => {
  const { cabinetId, secretary, doctor, practitionerId, booking } = await practice(30);
  const { day, clocked, at } = waitingRoomDay();
  const [first, second, third] = [
    await clocked.book(secretary, booking(paris(day, '09:00'))),
    await clocked.book(secretary, booking(paris(day, '09:30'))),
    await clocked.book(secretary, booking(paris(day, '10:00'))),
  ] as const;
  // The second patient comes first.
  at('08:45');
  const arrived = await clocked.checkIn(secretary, second.id);
  assert.equal(arrived.status, 'ARRIVED');
  at('08:50');
  await clocked.checkIn(secretary, first.id);
  at('08:55');
  await clocked.checkIn(secretary, third.id);

  const room = await clocked.waitingRoom(doctor, cabinetId, practitionerId);
  assert.deepEqual(
    room.map((entry) => [entry.appointment.id, entry.position, entry.arrivedAt, entry.estimatedWaitMinutes]),
    [
      [second.id, 1, paris(day, '08:45'), 0],
      [first.id, 2, paris(day, '08:50'), 30],
      [third.id, 3, paris(day, '08:55'), 60],
    ],
  );

  at('09:00');
  const called = await clocked.callNext(doctor, cabinetId, practitionerId);
  assert.equal(called.id, second.id);
  assert.equal(called.status, 'IN_CONSULTATION');
  at('09:10');
  assert.deepEqual(
    (await clocked.waitingRoom(secretary, cabinetId, practitionerId)).map((entry) => [
      entry.appointment.id,
      entry.position,
      entry.estimatedWaitMinutes,
    ]),
    [
      [first.id, 1, 20],
      [third.id, 2, 50],
    ],
  );

  const done = await clocked.complete(doctor, second.id);
  assert.equal(done.status, 'FULFILLED');
  assert.deepEqual(
    (await clocked.waitingRoom(secretary, cabinetId, practitionerId)).map((entry) => entry.estimatedWaitMinutes),
    [0, 30],
  );
  const actions = (await auditOf(second.id)).map((entry) => entry.action);
  for (const action of ['checkInAppointment', 'callNextPatient', 'completeAppointment']) {
    assert.ok(actions.includes(action), `${action} audited: ${actions.join(', ')}`);
  }
});

test('the waiting room refuses: empty queue, wrong status, another practice, patients and admins', async () => {
  const { cabinetId, secretary, doctor, practitionerId, booking } = await practice(30);
  const { day, clocked, at } = waitingRoomDay();
  await assert.rejects(clocked.callNext(doctor, cabinetId, practitionerId), fails('CONFLICT', NOBODY_WAITING));
  assert.deepEqual(await clocked.waitingRoom(doctor, cabinetId, practitionerId), []);

  const pending = await clocked.book(secretary, { ...booking(paris(day, '09:00')), pending: true });
  await assert.rejects(clocked.checkIn(secretary, pending.id), fails('CONFLICT'));
  const booked = await clocked.book(secretary, booking(paris(day, '10:00')));
  await assert.rejects(clocked.complete(doctor, booked.id), fails('CONFLICT'));
  at('09:50');
  await clocked.checkIn(secretary, booked.id);
  await assert.rejects(clocked.checkIn(secretary, booked.id), fails('CONFLICT', 'This appointment is already arrived'));
  await assert.rejects(clocked.complete(doctor, booked.id), fails('CONFLICT'));

  const stranger = as('DOCTOR', randomUUID());
  await assert.rejects(clocked.checkIn(stranger, pending.id), fails('NOT_FOUND'));
  await assert.rejects(clocked.complete(stranger, booked.id), fails('NOT_FOUND'));
  await assert.rejects(clocked.waitingRoom(stranger, cabinetId, practitionerId), fails('NOT_FOUND'));
  await assert.rejects(clocked.callNext(stranger, cabinetId, practitionerId), fails('NOT_FOUND'));
  await assert.rejects(clocked.subscribeWaitingRoom(stranger, cabinetId), fails('NOT_FOUND'));

  for (const role of ['PATIENT', 'ADMIN'] as const) {
    const outsider = as(role, cabinetId);
    await assert.rejects(clocked.checkIn(outsider, booked.id), fails('FORBIDDEN'));
    await assert.rejects(clocked.waitingRoom(outsider, cabinetId, practitionerId), fails('FORBIDDEN'));
    await assert.rejects(clocked.callNext(outsider, cabinetId, practitionerId), fails('FORBIDDEN'));
    await assert.rejects(clocked.complete(outsider, booked.id), fails('FORBIDDEN'));
    await assert.rejects(clocked.subscribeWaitingRoom(outsider, cabinetId), fails('FORBIDDEN'));
  }
  // Nothing moved.
  assert.deepEqual(
    (await clocked.waitingRoom(doctor, cabinetId, practitionerId)).map((entry) => entry.appointment.id),
    [booked.id],
  );
});

test('waitingRoomUpdated pushes check-in, call and completion to the practice, not to another', async () => {
  const { cabinetId, secretary, doctor, practitionerId, booking } = await practice(30);
  const other = await practice(30);
  const { day, clocked, at } = waitingRoomDay();
  const live = await clocked.subscribeWaitingRoom(secretary, cabinetId);
  const elsewhere = await clocked.subscribeWaitingRoom(other.secretary, other.cabinetId);
  try {
    const appointment = await clocked.book(secretary, booking(paris(day, '09:00')));
    at('08:55');
    await clocked.checkIn(secretary, appointment.id);
    at('09:00');
    await clocked.callNext(doctor, cabinetId, practitionerId);
    await clocked.complete(doctor, appointment.id);
    const events = [];
    for (let i = 0; i < 3; i++) events.push((await live.next()).value);
    assert.deepEqual(
      events.map((event) => [event?.kind, event?.appointment.id, event?.appointment.status]),
      [
        ['CHECKED_IN', appointment.id, 'ARRIVED'],
        ['CALLED', appointment.id, 'IN_CONSULTATION'],
        ['COMPLETED', appointment.id, 'FULFILLED'],
      ],
    );
    // The other practice's subscriber got none of it.
    const quiet = await Promise.race([
      elsewhere.next().then(() => 'event'),
      new Promise((resolve) => setTimeout(resolve, 100, 'quiet')),
    ]);
    assert.equal(quiet, 'quiet');
  } finally {
    await live.return?.();
    await elsewhere.return?.();
  }
});

test('waitingRoomUpdated through the schema: the practice gets events, another practice a NOT_FOUND', async () => {
  const { cabinetId, secretary, booking } = await practice(30);
  const { day, clocked, at } = waitingRoomDay();
  const schema = buildSubgraphSchema([
    { typeDefs, resolvers: createResolvers(clocked, new AgendaReader({ orm, auditor })) },
  ]);
  const document = parse(
    'subscription($c: ID!) { waitingRoomUpdated(cabinetId: $c) { kind appointment { id status } } }',
  );
  const subscribeAs = (caller: Caller) =>
    subscribe({ schema, document, variableValues: { c: cabinetId }, contextValue: { caller, log } });
  const open = async (caller: Caller) => {
    const result = await subscribeAs(caller);
    assert.ok(Symbol.asyncIterator in result, JSON.stringify(result));
    return result as AsyncGenerator<{ data?: unknown; errors?: unknown }>;
  };
  // Refused when subscribing: one result with the error, no stream.
  const refused = await subscribeAs(as('DOCTOR', randomUUID()));
  assert.ok(!(Symbol.asyncIterator in refused), 'no stream');
  const [error] = (refused as { errors: GraphQLError[] }).errors;
  assert.ok(error?.originalError instanceof DomainError, String(error));
  assert.equal(error.originalError.code, 'NOT_FOUND');
  const live = await open(secretary);
  try {
    const first = live.next();
    await new Promise((resolve) => setImmediate(resolve));
    const appointment = await clocked.book(secretary, booking(paris(day, '09:00')));
    at('08:55');
    await clocked.checkIn(secretary, appointment.id);
    const event = await first;
    assert.deepEqual(JSON.parse(JSON.stringify(event.value)), {
      data: { waitingRoomUpdated: { kind: 'CHECKED_IN', appointment: { id: appointment.id, status: 'ARRIVED' } } },
    });
  } finally {
    await live.return(undefined);
  }
});

test('every step of an appointment is an event: confirmed, checked in, called, completed; no-show too', async () => {
  const { cabinetId, secretary, doctor, practitionerId, booking } = await practice(30);
  const { day, clocked, at } = waitingRoomDay();
  const pending = await clocked.book(secretary, { ...booking(paris(day, '09:00')), pending: true });
  await clocked.confirm(secretary, pending.id);
  at('08:50');
  await clocked.checkIn(secretary, pending.id);
  at('09:00');
  await clocked.callNext(doctor, cabinetId, practitionerId);
  await clocked.complete(doctor, pending.id);
  const events = await eventsOf(pending.id);
  assert.deepEqual(
    events.map((event) => event.type),
    [APPOINTMENT_BOOKED, APPOINTMENT_CONFIRMED, APPOINTMENT_CHECKED_IN, APPOINTMENT_CALLED, APPOINTMENT_COMPLETED],
  );
  for (const event of events.slice(1)) {
    assert.equal(event.data.appointmentId, pending.id);
    assert.equal(event.data.practitionerId, practitionerId);
    assert.equal(event.data.patientId, pending.patientId);
    assert.equal(event.data.timeZone, PARIS);
  }
  assert.equal(events[2]?.data.arrivedAt, paris(day, '08:50'));
  assert.equal(events[3]?.data.calledAt, paris(day, '09:00'));

  const missed = await clocked.book(secretary, booking(paris(day, '10:00')));
  at('10:20');
  await clocked.markNoShow(secretary, missed.id);
  assert.deepEqual(
    (await eventsOf(missed.id)).map((event) => event.type),
    [APPOINTMENT_BOOKED, APPOINTMENT_NO_SHOW],
  );
});

test('a practitioner is in consultation with one patient at a time; check-in is for today only', async () => {
  const { cabinetId, secretary, doctor, practitionerId, booking } = await practice(30);
  const { day, clocked, at } = waitingRoomDay();
  const appointments = [
    await clocked.book(secretary, booking(paris(day, '09:00'))),
    await clocked.book(secretary, booking(paris(day, '09:30'))),
    await clocked.book(secretary, booking(paris(day, '10:00'))),
  ];
  const tomorrow = await clocked.book(secretary, booking(paris(addDays(day, 1), '09:00')));
  at('08:50');
  for (const appointment of appointments) await clocked.checkIn(secretary, appointment.id);
  await assert.rejects(clocked.checkIn(secretary, tomorrow.id), fails('BAD_USER_INPUT', NOT_TODAY));
  assert.equal((await clocked.byId(secretary, tomorrow.id)).status, 'BOOKED', 'unchanged');

  // Two calls at once: one patient comes in, the other call is refused, nobody else moves.
  const calls = await Promise.allSettled([
    clocked.callNext(doctor, cabinetId, practitionerId),
    clocked.callNext(doctor, cabinetId, practitionerId),
  ]);
  const refused = calls.flatMap((call) => (call.status === 'rejected' ? [call.reason] : []));
  assert.equal(calls.filter((call) => call.status === 'fulfilled').length, 1);
  assert.equal(refused.length, 1);
  fails('CONFLICT', ALREADY_IN_CONSULTATION)(refused[0]);
  const statuses = async () =>
    Promise.all(appointments.map(async (appointment) => (await clocked.byId(secretary, appointment.id)).status));
  assert.deepEqual((await statuses()).sort(), ['ARRIVED', 'ARRIVED', 'IN_CONSULTATION']);
  await assert.rejects(clocked.callNext(doctor, cabinetId, practitionerId), fails('CONFLICT', ALREADY_IN_CONSULTATION));
  // Once the consultation is over, the next one can start.
  const current = appointments[(await statuses()).indexOf('IN_CONSULTATION')] as { id: string };
  await clocked.complete(doctor, current.id);
  assert.equal((await clocked.callNext(doctor, cabinetId, practitionerId)).status, 'IN_CONSULTATION');
});

/** Reminder events recorded for an appointment. */
const remindersOf = async (appointmentId: string) =>
  (await eventsOf(appointmentId)).filter((event) => event.type === APPOINTMENT_REMINDER_DUE);

test('reminders: due the day before, published once, moved with the appointment, none when cancelled', async () => {
  const { secretary, booking } = await practice(30);
  const day = inDays(3);
  let now = new Date(paris(inDays(0), '00:00'));
  const clocked = new AppointmentsService({ orm, log, topic, auditor, onEventsRecorded: () => {}, clock: () => now });
  const kept = await clocked.book(secretary, booking(paris(day, '09:00')));
  const moved = await clocked.book(secretary, booking(paris(day, '10:00')));
  const cancelled = await clocked.book(secretary, booking(paris(day, '11:00')));
  await clocked.cancel(secretary, cancelled.id, 'Empêchement');
  // Just before the day-before mark: nothing yet.
  now = new Date(new Date(paris(day, '09:00')).getTime() - 86_400_000 - 1000);
  await clocked.sendDueReminders();
  assert.deepEqual(await remindersOf(kept.id), []);
  now = new Date(new Date(paris(day, '09:00')).getTime() - 86_400_000 + 1000);
  await clocked.reschedule(secretary, moved.id, paris(addDays(day, 1), '10:00'));
  await clocked.sendDueReminders();
  const [reminder, ...more] = await remindersOf(kept.id);
  assert.equal(more.length, 0);
  assert.equal(reminder?.data.startsAt, kept.startsAt);
  assert.equal(reminder?.data.patientId, kept.patientId);
  assert.equal(reminder?.data.timeZone, PARIS);
  // A second round, and a restarted service on the same database, publish nothing again.
  await clocked.sendDueReminders();
  const restarted = new AppointmentsService({ orm, log, topic, auditor, onEventsRecorded: () => {}, clock: () => now });
  await restarted.sendDueReminders();
  assert.equal((await remindersOf(kept.id)).length, 1);
  // The moved appointment is reminded the day before its new time; the cancelled one never.
  assert.deepEqual(await remindersOf(moved.id), []);
  now = new Date(new Date(paris(addDays(day, 1), '10:00')).getTime() - 86_400_000 + 1000);
  await restarted.sendDueReminders();
  assert.deepEqual(
    (await remindersOf(moved.id)).map((event) => event.data.startsAt),
    [paris(addDays(day, 1), '10:00')],
  );
  assert.deepEqual(await remindersOf(cancelled.id), []);
});

test('reminders: an appointment made less than a day ahead gets none', async () => {
  const { secretary, booking } = await practice(30);
  const { day, clocked } = waitingRoomDay();
  const soon = await clocked.book(secretary, booking(paris(day, '11:00')));
  await clocked.sendDueReminders();
  assert.deepEqual(await remindersOf(soon.id), []);
  const [row] = await sql<{ count: string }>(
    orm.em.fork(),
    'select count(*) from appointment_reminder where appointment_id = ?',
    [soon.id],
  );
  assert.equal(Number(row?.count), 0);
});

test('a booking names a practice, practitioner and patient the projection knows, or is refused', async () => {
  const { cabinetId, secretary, practitionerId, booking } = await practice(30);
  const start = paris(inDays(22), '09:00');
  await assert.rejects(service.book(secretary, booking(start, randomUUID())), fails('NOT_FOUND', /^Patient /));
  // A patient of another practice is unknown here.
  const elsewhere = await known.patient(randomUUID());
  await assert.rejects(service.book(secretary, booking(start, elsewhere)), fails('NOT_FOUND', /^Patient /));
  // A detached practitioner takes no more bookings.
  await projection.apply(
    envelope('cabinets', PRACTITIONER_DETACHED, cabinetId, null, {
      practitionerId: randomUUID(),
      cabinetId,
      userId: practitionerId,
    }),
  );
  await assert.rejects(service.book(secretary, booking(start)), fails('NOT_FOUND', /^Practitioner /));
  await known.practitioner(cabinetId, practitionerId);
  // A deactivated practice neither.
  await projection.apply(
    envelope('cabinets', CABINET_DEACTIVATED, cabinetId, null, { cabinetId, deactivatedAt: new Date().toISOString() }),
  );
  await assert.rejects(
    service.book(secretary, booking(start)),
    fails('BAD_USER_INPUT', 'This practice is deactivated and takes no appointments'),
  );
  assert.equal(await countIn(practitionerId, paris(inDays(22), '00:00'), paris(inDays(23), '00:00')), 0);
});

test("opening hours are in the practice's time zone, for a practitioner attached to it", async () => {
  const { cabinetId, secretary, practitionerId } = await practice(30);
  const rules = [{ weekday: 'MONDAY' as const, startTime: '09:00', endTime: '12:00' }];
  const saved = await service.setWeeklyAvailability(secretary, { practitionerId, cabinetId, rules });
  assert.equal(saved[0]?.timeZone, PARIS, "the practice's time zone by default");
  await assert.rejects(
    service.setWeeklyAvailability(secretary, { practitionerId, cabinetId, timeZone: 'America/New_York', rules }),
    fails('BAD_USER_INPUT', "timeZone must be the practice's time zone (Europe/Paris)"),
  );
  await assert.rejects(
    service.setWeeklyAvailability(secretary, { practitionerId: randomUUID(), cabinetId, rules }),
    fails('NOT_FOUND', /^Practitioner /),
  );
});

test('the projection applies each event once, and a later snapshot of a practice wins', async () => {
  const cabinetId = randomUUID();
  const created = envelope('cabinets', CABINET_CREATED, cabinetId, null, snapshot(cabinetId));
  assert.equal(await projection.apply(created), true);
  assert.equal(await projection.apply(created), false, 'a redelivered event changes nothing');
  await projection.apply(
    envelope('cabinets', CABINET_UPDATED, cabinetId, null, {
      ...snapshot(cabinetId, { timeZone: 'Europe/Brussels' }),
      changed: ['timeZone'],
    }),
  );
  const [row] = await sql<{ time_zone: string }>(
    orm.em.fork(),
    'select time_zone from known_practice where cabinet_id = ?',
    [cabinetId],
  );
  assert.equal(row?.time_zone, 'Europe/Brussels');
  assert.equal(await projection.apply(envelope('cabinets', 'cabinets.Unknown.v1', cabinetId, null, {})), false);
});

test('a patient books online for themselves, on a self-bookable type only, and reads their own appointments', async () => {
  const { cabinetId, secretary, practitionerId, type, booking, patients } = await practice(30);
  const online = await service.createAppointmentType(secretary, {
    cabinetId,
    label: 'Suivi',
    durationMinutes: 15,
    selfBookable: true,
  });
  const patientId = patients[0] as string;
  const patient: Caller = {
    requestId: randomUUID(),
    clientAddress: null,
    identity: { userId: randomUUID(), role: 'PATIENT', cabinetId, patientId },
  };
  const day = inDays(24);
  assert.deepEqual(
    (await service.appointmentTypes(patient, cabinetId)).map((offered) => offered.label),
    ['Suivi'],
    'a patient is offered the self-bookable types only',
  );
  const slots = await service.availableSlots(patient, {
    practitionerId,
    cabinetId,
    appointmentTypeId: online.id,
    from: paris(day, '08:00'),
    to: paris(day, '09:00'),
  });
  assert.equal(slots.length, 4);
  await assert.rejects(
    service.availableSlots(patient, {
      practitionerId,
      cabinetId,
      appointmentTypeId: type.id,
      from: paris(day, '08:00'),
      to: paris(day, '09:00'),
    }),
    fails('FORBIDDEN', NOT_SELF_BOOKABLE),
  );

  const mine = await service.book(patient, {
    ...booking(slots[0]?.startsAt as string, patientId),
    appointmentTypeId: online.id,
  });
  assert.equal(mine.status, 'BOOKED');
  await assert.rejects(
    service.book(patient, { ...booking(paris(day, '10:00'), patients[1]), appointmentTypeId: online.id }),
    fails('FORBIDDEN', FOR_THEMSELVES),
  );
  await assert.rejects(
    service.book(patient, booking(paris(day, '10:00'), patientId)),
    fails('FORBIDDEN', NOT_SELF_BOOKABLE),
  );
  await assert.rejects(
    service.book(patient, { ...booking(paris(day, '10:00'), patientId), appointmentTypeId: online.id }, true),
    fails('FORBIDDEN'),
  );
  assert.equal(await countIn(practitionerId, paris(day, '00:00'), paris(day, '24:00')), 1, 'only the own booking');

  const someoneElses = await service.book(secretary, booking(paris(day, '11:00'), patients[1]));
  assert.deepEqual(
    (await service.mine(patient)).map((appointment) => appointment.id),
    [mine.id],
  );
  assert.equal((await service.byId(patient, mine.id)).id, mine.id);
  await assert.rejects(service.byId(patient, someoneElses.id), fails('NOT_FOUND'));
  await assert.rejects(
    service.list(patient, { cabinetId, from: paris(day, '00:00'), to: paris(day, '24:00') }),
    fails('FORBIDDEN'),
  );
  await assert.rejects(service.mine(secretary), fails('FORBIDDEN'));
});

test('a signed consultation fulfils its appointment once; a cancelled one stays cancelled', async () => {
  const { cabinetId, secretary, doctor, practitionerId, booking } = await practice(30);
  const { day, clocked, at } = waitingRoomDay();
  const seen = await clocked.book(secretary, booking(paris(day, '09:00')));
  const skipped = await clocked.book(secretary, booking(paris(day, '10:00')));
  const cancelled = await clocked.book(secretary, booking(paris(day, '11:00')));
  await clocked.cancel(secretary, cancelled.id, 'Empêchement');
  at('08:55');
  await clocked.checkIn(secretary, seen.id);
  await clocked.callNext(doctor, cabinetId, practitionerId);
  const signed = (appointment: { id: string; patientId: string }) =>
    envelope('consultations', CONSULTATION_SIGNED, cabinetId, null, {
      consultationId: randomUUID(),
      cabinetId,
      patientId: appointment.patientId,
      practitionerId,
      appointmentId: appointment.id,
      openedAt: new Date().toISOString(),
      signedAt: new Date().toISOString(),
    });
  const event = signed(seen);
  assert.equal(await clocked.onConsultationSigned(event), true);
  assert.equal(await clocked.onConsultationSigned(event), false, 'a redelivered event changes nothing');
  assert.equal((await clocked.byId(secretary, seen.id)).status, 'FULFILLED');
  assert.deepEqual((await eventsOf(seen.id)).map((recorded) => recorded.type).slice(-1), [APPOINTMENT_COMPLETED]);
  // Seen without check-in or call: fulfilled all the same.
  assert.equal(await clocked.onConsultationSigned(signed(skipped)), true);
  assert.equal((await clocked.byId(secretary, skipped.id)).status, 'FULFILLED');
  assert.equal(await clocked.onConsultationSigned(signed(cancelled)), false);
  assert.equal((await clocked.byId(secretary, cancelled.id)).status, 'CANCELLED');
});
