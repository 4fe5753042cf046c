// Integration tests of the agenda reads against the real PostgreSQL. Every test works in a
// practice and with practitioners of its own (random ids), so runs side by side never see each
// other's appointments.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Auditor } from '@cabinet/platform/audit';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError, type ErrorCode } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, type AccessAudited } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { execute, parse } from 'graphql';
import { AgendaReader } from './agenda.ts';
import { addDays, localDateOf, zonedToUtc } from './domain/time.ts';
import { ENTITIES, KnownPatient, KnownPractice, KnownPractitioner } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { createResolvers } from './resolvers.ts';
import { typeDefs } from './server.ts';
import { AppointmentsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_appointments`;
const PARIS = 'Europe/Paris';

let orm: MikroORM;
let service: AppointmentsService;
let agenda: AgendaReader;
/** Every SQL statement of this file's ORM (nothing else runs on it: no relay). */
let statements = 0;

before(async () => {
  orm = await openDatabase({
    url: DATABASE_URL,
    entities: [...ENTITIES, OutboxEvent],
    migrations,
    onQuery: () => {
      statements++;
    },
  });
  const auditor = new Auditor({
    service: 'appointments',
    orm,
    topic: `test-${randomUUID()}.audit`,
    onRecorded: () => {},
  });
  const log = createLogger('test', 'silent');
  service = new AppointmentsService({
    orm,
    log,
    topic: `test-${randomUUID()}.appointments`,
    auditor,
    onEventsRecorded: () => {},
  });
  agenda = new AgendaReader({ orm, auditor });
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, userId: string = randomUUID()): Caller => ({
  requestId: randomUUID(),
  clientAddress: '2001:db8::1',
  identity: { userId, role, cabinetId, patientId: null },
});
const inDays = (days: number): string => addDays(localDateOf(new Date(), PARIS), days);
const paris = (date: string, time: string): string => zonedToUtc(date, time, PARIS).toISOString();

const fails = (code: ErrorCode, field?: string) => (error: unknown) => {
  assert.ok(error instanceof DomainError, String(error));
  assert.equal(error.code, code, error.message);
  if (field) assert.equal(error.details.field, field);
  return true;
};

/**
 * A practice in `timeZone` whose practitioners (open around the clock) the test books with, for
 * patients of the practice: what the cabinets and patients events would have told this subgraph.
 */
async function practice(timeZone = PARIS) {
  const cabinetId = randomUUID();
  const secretary = as('SECRETARY', cabinetId);
  const updatedAt = new Date();
  await orm.em.fork().upsert(KnownPractice, { cabinetId, timeZone, active: true, updatedAt });
  const type = await service.createAppointmentType(secretary, {
    cabinetId,
    label: 'Consultation',
    durationMinutes: 15,
  });
  const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
  const practitioner = async () => {
    const practitionerId = randomUUID();
    await orm.em.fork().upsert(KnownPractitioner, { userId: practitionerId, cabinetId, active: true, updatedAt });
    await service.setWeeklyAvailability(secretary, {
      practitionerId,
      cabinetId,
      timeZone,
      rules: days.map((weekday) => ({ weekday, startTime: '00:00', endTime: '24:00' })),
    });
    return practitionerId;
  };
  const book = async (practitionerId: string, startsAt: string, patientId: string = randomUUID()) => {
    await orm.em.fork().upsert(KnownPatient, { patientId, cabinetId, updatedAt });
    return service.book(secretary, { patientId, practitionerId, cabinetId, appointmentTypeId: type.id, startsAt });
  };
  return { cabinetId, secretary, practitioner, book };
}

async function auditOf(entityId: string): Promise<AccessAudited[]> {
  const rows = await sql<{ payload: { data: AccessAudited } }>(
    orm.em.fork(),
    `select payload from outbox_event where type = ? and payload->'data'->>'entityId' = ? order by occurred_at, id`,
    [ACCESS_AUDITED, entityId],
  );
  return rows.map((row) => row.payload.data);
}

test("a day is the practice's local day: from midnight to midnight in its time zone, by start", async () => {
  const { cabinetId, secretary, practitioner, book } = await practice();
  const doctor = await practitioner();
  const day = inDays(20);
  const before = await book(doctor, paris(addDays(day, -1), '23:45'));
  const first = await book(doctor, paris(day, '00:00'));
  const last = await book(doctor, paris(day, '23:45'));
  const middle = await book(doctor, paris(day, '12:00'));
  const next = await book(doctor, paris(addDays(day, 1), '00:00'));

  const read = await agenda.day(secretary, cabinetId, day);
  assert.deepEqual(
    read.map((appointment) => appointment.id),
    [first.id, middle.id, last.id],
  );
  assert.ok(!read.some((appointment) => [before.id, next.id].includes(appointment.id)));
  assert.equal(read[0]?.appointmentType.label, 'Consultation');
  // Each appointment read is audited with its patient.
  const [audited] = await auditOf(middle.id);
  assert.equal(audited?.patientId, middle.patientId);
  assert.equal(audited?.outcome, 'ALLOWED');
});

test("a practitioner's day: only theirs; an unknown practitioner has none", async () => {
  const { cabinetId, secretary, practitioner, book } = await practice();
  const [one, other] = [await practitioner(), await practitioner()];
  const day = inDays(21);
  const mine = await book(one, paris(day, '09:00'));
  const theirs = await book(other, paris(day, '09:00'));
  assert.deepEqual(
    (await agenda.day(secretary, cabinetId, day, one)).map((appointment) => appointment.id),
    [mine.id],
  );
  assert.deepEqual(
    (await agenda.day(secretary, cabinetId, day)).map((appointment) => appointment.id).sort(),
    [mine.id, theirs.id].sort(),
  );
  assert.deepEqual(await agenda.day(secretary, cabinetId, day, randomUUID()), []);
  assert.deepEqual(await agenda.day(secretary, cabinetId, day, 'not-a-uuid'), []);
});

test("the day is in the practice's time zone", async () => {
  const { cabinetId, secretary, practitioner, book } = await practice('Asia/Tokyo');
  const doctor = await practitioner();
  const day = inDays(22);
  // 01:00 in Tokyo on `day` is still the day before in Paris (and in UTC).
  const early = await book(doctor, zonedToUtc(day, '01:00', 'Asia/Tokyo').toISOString());
  assert.deepEqual(
    (await agenda.day(secretary, cabinetId, day)).map((appointment) => appointment.id),
    [early.id],
  );
  assert.deepEqual(await agenda.day(secretary, cabinetId, addDays(day, -1), doctor), []);
});

test('another practice is NOT_FOUND (audited); a patient account or a bad date is refused', async () => {
  const { cabinetId, practitioner, book } = await practice();
  const day = inDays(23);
  await book(await practitioner(), paris(day, '10:00'));
  const outsider = as('DOCTOR', randomUUID());
  await assert.rejects(agenda.day(outsider, cabinetId, day), fails('NOT_FOUND'));
  const [denied] = await sql<{ payload: { data: AccessAudited } }>(
    orm.em.fork(),
    `select payload from outbox_event where type = ? and payload->'data'->>'requestId' = ?`,
    [ACCESS_AUDITED, outsider.requestId],
  );
  assert.equal(denied?.payload.data.outcome, 'DENIED');
  await assert.rejects(agenda.day(as('PATIENT', cabinetId), cabinetId, day), fails('FORBIDDEN'));
  await assert.rejects(agenda.day(as('DOCTOR', cabinetId), cabinetId, '2026-13-01'), fails('BAD_USER_INPUT', 'date'));
});

test("patients' appointments: per patient, by start, filtered, the caller's practice only", async () => {
  const { secretary, practitioner, book } = await practice();
  const doctor = await practitioner();
  const [ann, bob, nobody] = [randomUUID(), randomUUID(), randomUUID()];
  const day = inDays(24);
  const annLate = await book(doctor, paris(day, '11:00'), ann);
  const annEarly = await book(doctor, paris(day, '09:00'), ann);
  const bobs = await book(doctor, paris(day, '10:00'), bob);
  await service.cancel(secretary, bobs.id, 'Empêchement');
  const annNextDay = await book(doctor, paris(addDays(day, 1), '09:00'), ann);

  const all = await agenda.ofPatients(secretary, [ann, bob, nobody, 'not-a-uuid'], {});
  assert.deepEqual(
    all.get(ann)?.map((appointment) => appointment.id),
    [annEarly.id, annLate.id, annNextDay.id],
  );
  assert.deepEqual(
    all.get(bob)?.map((appointment) => appointment.id),
    [bobs.id],
  );
  assert.equal(all.get(nobody), undefined);

  const ofDay = await agenda.ofPatients(secretary, [ann], { from: paris(day, '00:00'), to: paris(day, '10:00') });
  assert.deepEqual(
    ofDay.get(ann)?.map((appointment) => appointment.id),
    [annEarly.id],
  );
  const booked = await agenda.ofPatients(secretary, [ann, bob], { status: ['BOOKED'] });
  assert.equal(booked.get(bob), undefined);
  assert.equal(booked.get(ann)?.length, 3);
  assert.equal((await agenda.ofPatients(secretary, [ann], { status: [] })).size, 0);
  // Another practice sees none of them.
  assert.equal((await agenda.ofPatients(as('DOCTOR', randomUUID()), [ann, bob], {})).size, 0);
  await assert.rejects(
    agenda.ofPatients(secretary, [ann], { from: paris(day, '10:00'), to: paris(day, '09:00') }),
    fails('BAD_USER_INPUT', 'to'),
  );
  await assert.rejects(agenda.ofPatients(secretary, [ann], { from: 'yesterday' }), fails('BAD_USER_INPUT', 'from'));
});

test('through GraphQL: the appointments of N patients cost the same statements for 2 or 8 patients', async () => {
  const { cabinetId, secretary, practitioner, book } = await practice();
  const doctor = await practitioner();
  const day = inDays(25);
  const patients = Array.from({ length: 8 }, () => randomUUID());
  for (const [index, patientId] of patients.entries()) await book(doctor, paris(day, `0${index + 1}:00`), patientId);
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(service, agenda) }]);
  const document = parse(`query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Patient { id appointments { id cabinetId startsAt practitioner { userId } patient { id } } }
    }
  }`);
  const run = async (ids: string[]) => {
    const before = statements;
    const result = await execute({
      schema,
      document,
      variableValues: { representations: ids.map((id) => ({ __typename: 'Patient', id })) },
      contextValue: { caller: secretary, log: createLogger('test', 'silent') },
    });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return {
      data: JSON.parse(JSON.stringify(result.data)) as {
        _entities: { id: string; appointments: Record<string, any>[] }[];
      },
      cost: statements - before,
    };
  };
  const two = await run(patients.slice(0, 2));
  const eight = await run(patients);
  assert.equal(eight.data._entities.length, 8);
  eight.data._entities.forEach((entity, index) => {
    assert.equal(entity.id, patients[index]);
    assert.equal(entity.appointments.length, 1);
    assert.deepEqual(entity.appointments[0]?.practitioner, { userId: doctor });
    assert.deepEqual(entity.appointments[0]?.patient, { id: patients[index] });
    assert.equal(entity.appointments[0]?.cabinetId, cabinetId);
  });
  // The appointments, their types, their audit records: one statement each, whatever the number.
  assert.equal(two.cost, 3);
  assert.equal(eight.cost, 3);
});

test("through GraphQL: Cabinet.agenda answers the practice's day", async () => {
  const { cabinetId, secretary, practitioner, book } = await practice();
  const doctor = await practitioner();
  const day = inDays(26);
  const booked = await book(doctor, paris(day, '08:30'));
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(service, agenda) }]);
  const result = await execute({
    schema,
    document: parse(`query($representations: [_Any!]!, $date: String!) {
      _entities(representations: $representations) { ... on Cabinet { id agenda(date: $date) { id status } } }
    }`),
    variableValues: { representations: [{ __typename: 'Cabinet', id: cabinetId }], date: day },
    contextValue: { caller: secretary, log: createLogger('test', 'silent') },
  });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  assert.deepEqual(JSON.parse(JSON.stringify(result.data))._entities, [
    { id: cabinetId, agenda: [{ id: booked.id, status: 'BOOKED' }] },
  ]);
});
