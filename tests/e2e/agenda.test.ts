// One request per screen: a practice's day, a list of patients with their appointments, and one
// patient's appointments are each answered in one GraphQL request through federation, and what
// that request costs (calls from the router to each subgraph, SQL statements in each subgraph)
// does not grow with the number of rows: 4 appointments or 40, same counts.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD } from '../support/client.ts';
import { rppsNumber } from '../support/practice.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

let system: TestSystem;

/** What each request caused, by request id: the router's subgraph calls and every subgraph's SQL. */
const calls: { subgraph: string; requestId: string }[] = [];
const statements: { subgraph: string; sql: string; requestId: string }[] = [];

interface Account {
  token: string;
  userId: string;
}
let admin: Account;
let doctor: Account;
let secretary: Account;
let otherDoctor: Account;
let cabinetId: string;
let appointmentTypeId: string;
/** A number in letters (names hold no digits): 0 → a, 25 → z, 26 → ba. */
const letters = (n: number): string =>
  (n >= 26 ? letters(Math.floor(n / 26)) : '') + String.fromCharCode(97 + (n % 26));
const run = letters(randomBytes(4).readUInt32BE());
/** The practice's doctors: the first signs in; the agenda's appointments go round all of them. */
const practitioners = Array.from({ length: 8 }, (_, index) => ({
  userId: '',
  name: `Dr Agenda ${run} ${letters(index)}`,
}));
const doctorName = (practitioners[0] as { name: string }).name;

/** Local days in Paris, far enough ahead to be bookable: the agenda day, and the day of one patient's series. */
const dayOf = (daysAhead: number): string => new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
const DAY = dayOf(10);
const SERIES_DAY = dayOf(11);
const LIST_DAY = dayOf(12);
/** 07:00 UTC plus `index` quarters of an hour: 08:00 to 18:45 in Paris at most, inside the opening hours. */
const quarter = (day: string, index: number): string =>
  new Date(Date.parse(`${day}T07:00:00Z`) + index * 15 * 60_000).toISOString();
/** The bounds of a Paris day, to filter by. */
const parisDay = (day: string) => ({ from: `${day}T00:00:00+01:00`, to: `${day}T23:00:00+01:00` });

async function must(query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  const response = await gql(system.url, query, variables, token);
  if (response.errors || !response.data) throw new Error(`set-up call failed: ${JSON.stringify(response.errors)}`);
  return response.data;
}

async function account(role: string, cabinet: string, name = 'Agenda Staff'): Promise<Account> {
  const email = uniqueEmail(`agenda-${role.toLowerCase()}`);
  await must(
    STAFF_ACCOUNT,
    { input: { email, password: STAFF_PASSWORD, name, role, cabinetId: cabinet } },
    admin.token,
  );
  return login(system.url, email, STAFF_PASSWORD);
}

async function createCabinet(): Promise<string> {
  const input = {
    name: `Cabinet Agenda ${randomUUID().slice(0, 8)}`,
    specialty: 'Médecine générale',
    address: { street: '1 rue du Bac', postalCode: '75007', city: 'Paris', country: 'FR' },
    timeZone: 'Europe/Paris',
  };
  return (
    await must(
      'mutation C($input: CreateCabinetInput!) { createCabinet(input: $input) { id } }',
      { input },
      admin.token,
    )
  ).createCabinet.id;
}

interface PatientFile {
  id: string;
  firstName: string;
  lastName: string;
}

async function book(patientId: string, startsAt: string, practitionerId = doctor.userId): Promise<void> {
  await must(
    'mutation B($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }',
    { input: { patientId, practitionerId, cabinetId, appointmentTypeId, startsAt } },
    secretary.token,
  );
}

/**
 * Patients of the run whose last names start with `surname` (so a search finds them and only
 * them), each with one appointment with the doctor on `day`, one quarter of an hour after the other.
 */
function group(surname: string, day: string, practitionerOf: (index: number) => string = () => doctor.userId) {
  const patients: PatientFile[] = [];
  return {
    surname,
    day,
    patients,
    /** Registers and books until the group has `count` patients. */
    async fill(count: number): Promise<void> {
      while (patients.length < count) {
        const index = patients.length;
        const firstName = `Prenom ${letters(index)}`;
        const lastName = `${surname}-${letters(index)}`;
        const registered = await must(
          'mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
          { input: { firstName, lastName, birthDate: '1980-01-01' } },
          secretary.token,
        );
        await book(registered.registerPatient.id, quarter(day, index), practitionerOf(index));
        patients.push({ id: registered.registerPatient.id, firstName, lastName });
      }
    },
  };
}

const practitionerAt = (index: number) =>
  practitioners[index % practitioners.length] as { userId: string; name: string };

/** The day of the agenda tests, and the patients of the list test (on another day). */
const onDay = group(`Agenda${run}`, DAY, (index) => practitionerAt(index).userId);
const listed = group(`Liste${run}`, LIST_DAY);

/** The first patient has `count` appointments on the series day. */
let bookedInSeries = 0;
async function fillSeries(count: number): Promise<void> {
  for (; bookedInSeries < count; bookedInSeries++)
    await book((onDay.patients[0] as PatientFile).id, quarter(SERIES_DAY, bookedInSeries));
}

interface Cost {
  /** Calls from the router, per subgraph. */
  calls: Record<string, number>;
  /** SQL statements, per subgraph. */
  statements: Record<string, number>;
  milliseconds: number;
}

const tally = (rows: { subgraph: string }[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const { subgraph } of rows) counts[subgraph] = (counts[subgraph] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
};

/** Runs one request with a request id of its own, and what it cost. */
async function measured(
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<{ data: Record<string, any>; cost: Cost }> {
  const requestId = `agenda-${randomUUID()}`;
  const started = performance.now();
  const response = await gql(system.url, query, variables, token, { 'x-request-id': requestId });
  const milliseconds = Math.round(performance.now() - started);
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  const cost = {
    calls: tally(calls.filter((call) => call.requestId === requestId)),
    statements: tally(statements.filter((statement) => statement.requestId === requestId)),
    milliseconds,
  };
  return { data: response.data as Record<string, any>, cost };
}

const AGENDA = `query Agenda($id: ID!, $date: String!) {
  cabinet(id: $id) {
    name
    agenda(date: $date) {
      id startsAt status
      appointmentType { label }
      patient { id firstName lastName }
      practitioner { specialty user { name } }
    }
  }
}`;
const PATIENT_LIST = `query Patients($search: String!, $from: String, $to: String) {
  patients(search: $search) {
    id lastName
    appointments(from: $from, to: $to) { startsAt status practitioner { user { name } } }
  }
}`;
const ONE_PATIENT = `query Patient($id: ID!, $from: String, $to: String) {
  patient(id: $id) {
    lastName
    appointments(from: $from, to: $to, status: [BOOKED]) { startsAt patient { id } practitioner { specialty user { name } } }
  }
}`;

/** The figures of both sizes, for the report. */
const figures: Record<string, Cost> = {};

before(async () => {
  system = await startTestSystem({
    observe: {
      onSubgraphRequest: (subgraph, requestId) => calls.push({ subgraph, requestId }),
      onQuery: (subgraph, { sql, requestId }) => {
        if (requestId) statements.push({ subgraph, sql, requestId });
      },
    },
  });
  admin = await login(system.url, system.admin.email, system.admin.password);
  cabinetId = await createCabinet();
  doctor = await account('DOCTOR', cabinetId, doctorName);
  secretary = await account('SECRETARY', cabinetId);
  otherDoctor = await account('DOCTOR', await createCabinet());
  (practitioners[0] as { userId: string }).userId = doctor.userId;
  for (const practitioner of practitioners.slice(1)) {
    const email = uniqueEmail('agenda-doctor');
    const input = { email, password: STAFF_PASSWORD, name: practitioner.name, role: 'DOCTOR', cabinetId };
    practitioner.userId = (await must(STAFF_ACCOUNT, { input }, admin.token)).createStaffAccount.id;
  }
  appointmentTypeId = (
    await must(
      'mutation T($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id } }',
      { input: { cabinetId, label: 'Consultation', durationMinutes: 15 } },
      secretary.token,
    )
  ).createAppointmentType.id;
  const rules = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((weekday) => ({
    weekday,
    startTime: '08:00',
    endTime: '20:00',
  }));
  for (const { userId } of practitioners) {
    await must(
      'mutation A($input: AttachPractitionerInput!) { attachPractitioner(input: $input) { id } }',
      { input: { cabinetId, userId, specialty: 'Médecine générale', rpps: rppsNumber() } },
      admin.token,
    );
    await must(
      'mutation W($input: WeeklyAvailabilityInput!) { setWeeklyAvailability(input: $input) { id } }',
      { input: { practitionerId: userId, cabinetId, timeZone: 'Europe/Paris', rules } },
      secretary.token,
    );
  }
});

after(async () => {
  for (const [name, cost] of Object.entries(figures)) console.log(`# ${name}: ${JSON.stringify(cost)}`);
  await system?.stop();
  exitWhenIdle();
});

test('a day of 4 appointments, then of 40: one request each, same subgraph calls and SQL statements', async () => {
  await onDay.fill(4);
  const small = await measured(AGENDA, { id: cabinetId, date: DAY }, doctor.token);
  await onDay.fill(40);
  const large = await measured(AGENDA, { id: cabinetId, date: DAY }, doctor.token);
  figures['agenda, 4 appointments'] = small.cost;
  figures['agenda, 40 appointments'] = large.cost;

  for (const [{ data }, size] of [
    [small, 4],
    [large, 40],
  ] as const) {
    const agenda = data.cabinet.agenda as Record<string, any>[];
    assert.equal(agenda.length, size);
    agenda.forEach((appointment, index) => {
      assert.equal(appointment.startsAt, quarter(DAY, index), 'by start');
      assert.equal(appointment.status, 'BOOKED');
      assert.equal(appointment.appointmentType.label, 'Consultation');
      assert.deepEqual(appointment.patient, onDay.patients[index]);
      assert.deepEqual(appointment.practitioner, {
        specialty: 'Médecine générale',
        user: { name: practitionerAt(index).name },
      });
    });
  }
  assert.deepEqual(large.cost.calls, small.cost.calls);
  assert.deepEqual(large.cost.statements, small.cost.statements);
  // One call per subgraph per level of the plan: the practice, its agenda, then the patients and
  // the practitioners side by side, then the practitioners' accounts.
  assert.deepEqual(small.cost.calls, { appointments: 1, cabinets: 2, patients: 1, users: 1 });
});

test('a list of 4 patients, then of 40, each with their appointments of a day: same costs', async () => {
  const variables = { search: listed.surname, ...parisDay(LIST_DAY) };
  await listed.fill(4);
  const small = await measured(PATIENT_LIST, variables, secretary.token);
  await listed.fill(40);
  const large = await measured(PATIENT_LIST, variables, secretary.token);
  figures['patients, 4 patients'] = small.cost;
  figures['patients, 40 patients'] = large.cost;

  assert.equal(small.data.patients.length, 4);
  assert.equal(large.data.patients.length, 40);
  for (const row of large.data.patients as Record<string, any>[]) {
    const index = listed.patients.findIndex((patient) => patient.id === row.id);
    assert.ok(index >= 0, 'only the patients of the group');
    assert.deepEqual(row.appointments, [
      { startsAt: quarter(LIST_DAY, index), status: 'BOOKED', practitioner: { user: { name: doctorName } } },
    ]);
  }
  assert.deepEqual(large.cost.calls, small.cost.calls);
  assert.deepEqual(large.cost.statements, small.cost.statements);
  assert.deepEqual(small.cost.calls, { appointments: 1, cabinets: 1, patients: 1, users: 1 });
});

test("one patient's 4 appointments, then 40: same costs", async () => {
  await onDay.fill(1);
  const patient = onDay.patients[0] as PatientFile;
  const variables = { id: patient.id, ...parisDay(SERIES_DAY) };
  await fillSeries(4);
  const small = await measured(ONE_PATIENT, variables, doctor.token);
  await fillSeries(40);
  const large = await measured(ONE_PATIENT, variables, doctor.token);
  figures['patient, 4 appointments'] = small.cost;
  figures['patient, 40 appointments'] = large.cost;

  assert.equal(small.data.patient.appointments.length, 4);
  assert.equal(large.data.patient.appointments.length, 40);
  (large.data.patient.appointments as Record<string, any>[]).forEach((appointment, index) => {
    assert.deepEqual(appointment, {
      startsAt: quarter(SERIES_DAY, index),
      patient: { id: patient.id },
      practitioner: { specialty: 'Médecine générale', user: { name: doctorName } },
    });
  });
  assert.deepEqual(large.cost.calls, small.cost.calls);
  assert.deepEqual(large.cost.statements, small.cost.statements);
});

test('a practitioner’s day: only their appointments', async () => {
  await onDay.fill(4);
  const response = await gql(
    system.url,
    `query Day($id: ID!, $date: String!, $practitionerId: ID) {
      cabinet(id: $id) {
        mine: agenda(date: $date, practitionerId: $practitionerId) { id }
        nobody: agenda(date: $date, practitionerId: "${randomUUID()}") { id }
      }
    }`,
    { id: cabinetId, date: DAY, practitionerId: doctor.userId },
    secretary.token,
  );
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  assert.equal(
    response.data?.cabinet.mine.length,
    onDay.patients.filter((_patient, index) => practitionerAt(index).userId === doctor.userId).length,
  );
  assert.deepEqual(response.data?.cabinet.nobody, []);
});

test('a doctor of another practice gets NOT_FOUND, not the agenda', async () => {
  await onDay.fill(1);
  const response = await gql(system.url, AGENDA, { id: cabinetId, date: DAY }, otherDoctor.token);
  assert.equal(response.data?.cabinet ?? null, null);
  assert.equal(response.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  assert.doesNotMatch(JSON.stringify(response), new RegExp(onDay.surname));
  // Their own practice's agenda of that day is empty.
  const own = await gql(system.url, '{ myCabinet { agenda(date: "2099-01-01") { id } } }', {}, otherDoctor.token);
  assert.deepEqual(own.data?.myCabinet.agenda, []);
});

test('a secretary reads the agenda with names, and no clinical field', async () => {
  await onDay.fill(4);
  const response = await gql(
    system.url,
    `query Agenda($date: String!) {
      myCabinet { agenda(date: $date) { startsAt patient { lastName allergies { substance } } practitioner { user { name } } } }
    }`,
    { date: DAY },
    secretary.token,
  );
  const agenda = response.data?.myCabinet.agenda as Record<string, any>[];
  assert.equal(agenda.length, onDay.patients.length);
  agenda.forEach((appointment, index) => {
    assert.equal(appointment.patient.lastName, onDay.patients[index]?.lastName);
    assert.equal(appointment.patient.allergies, null);
    assert.equal(appointment.practitioner.user.name, practitionerAt(index).name);
  });
  assert.ok(response.errors?.length, 'the refusal is reported');
  for (const error of response.errors ?? []) {
    assert.equal(error.extensions?.code, 'FORBIDDEN');
    assert.ok(error.path?.includes('allergies'), JSON.stringify(error));
  }
});

test('the date must be a calendar day', async () => {
  const response = await gql(system.url, '{ myCabinet { agenda(date: "2026-02-30") { id } } }', {}, doctor.token);
  assert.equal(response.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.equal(response.errors?.[0]?.extensions?.field, 'date');
});
