import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { gql, login } from '../tests/support/client.ts';
import { exitWhenIdle, startTestSystem, type TestSystem } from '../tests/support/system.ts';
import { DEMO_PRACTICES, demoRpps, type SeedResult, seedDemo } from './seed.ts';

// The demo seed, through the router of a test system; a tag of its own keeps its practices and
// accounts apart from other runs on the shared test databases.
let system: TestSystem;
const tag = `t${randomUUID().slice(0, 8)}`;
const password = randomBytes(12).toString('base64url');
let first: SeedResult;
let second: SeedResult;

before(async () => {
  system = await startTestSystem();
  first = await seedDemo(system.url, system.admin, { password, tag });
  second = await seedDemo(system.url, system.admin, { password, tag });
});

after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const APPOINTMENTS = `query A($c: ID!, $from: String!, $to: String!) {
  appointments(cabinetId: $c, from: $from, to: $to) {
    id cabinetId status startsAt endsAt practitioner { userId } appointmentType { label durationMinutes }
  }
}`;

test('the first run creates both practices, the second leaves them as they are', () => {
  assert.deepEqual(
    first.practices.map((practice) => [practice.name, practice.created]),
    DEMO_PRACTICES.map((def) => [`${def.name} (${tag})`, true]),
  );
  assert.deepEqual(
    second.practices.map((practice) => [practice.id, practice.created]),
    first.practices.map((practice) => [practice.id, false]),
  );
  for (const practice of first.practices) {
    assert.equal(practice.patients, 10);
    assert.ok(practice.appointments > 0, `${practice.name} has appointments`);
    assert.ok(practice.confirmed <= practice.appointments);
  }
});

test('each practice is found once by name, with its two practitioners', async () => {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const response = await gql<{ cabinets: { id: string; name: string; timeZone: string; practitioners: any[] }[] }>(
    system.url,
    'query { cabinets { id name timeZone openingHours { weekday } practitioners { userId rpps specialty active } } }',
    {},
    admin.token,
  );
  assert.equal(response.errors, undefined);
  for (const practice of first.practices) {
    const found = response.data?.cabinets.filter((cabinet) => cabinet.name === practice.name) ?? [];
    assert.equal(found.length, 1, practice.name);
    assert.equal(found[0]?.id, practice.id);
    assert.equal(found[0]?.timeZone, 'Europe/Paris');
    assert.equal(found[0]?.practitioners.length, 2);
    for (const practitioner of found[0]?.practitioners ?? []) assert.equal(practitioner.active, true);
  }
});

test("a seeded secretary signs in and sees the week's appointments of her practice, not duplicated", async () => {
  const start = new Date(Date.now() - 86_400_000);
  const end = new Date(Date.now() + 8 * 86_400_000);
  for (const practice of first.practices) {
    const secretary = practice.logins.find((account) => account.role === 'SECRETARY');
    assert.ok(secretary);
    const { token } = await login(system.url, secretary.email, password);
    const me = await gql(system.url, 'query { me { role cabinetId } }', {}, token);
    assert.deepEqual(me.data?.me, { role: 'SECRETARY', cabinetId: practice.id });
    const response = await gql<{ appointments: any[] }>(
      system.url,
      APPOINTMENTS,
      { c: practice.id, from: start.toISOString(), to: end.toISOString() },
      token,
    );
    assert.equal(response.errors, undefined);
    const appointments = response.data?.appointments ?? [];
    assert.equal(appointments.length, practice.appointments, 'as many as booked by the first run: none added');
    assert.equal(appointments.filter((a) => a.status === 'BOOKED').length, practice.confirmed);
    assert.equal(appointments.filter((a) => a.status === 'PENDING').length, practice.appointments - practice.confirmed);
    const practitioners = new Set(appointments.map((a) => a.practitioner.userId));
    assert.equal(practitioners.size, 2, 'both doctors have appointments');
    // Free slots only: no two appointments of a practitioner overlap; all in the coming week.
    for (const userId of practitioners) {
      const own = appointments
        .filter((a) => a.practitioner.userId === userId)
        .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
      for (let i = 1; i < own.length; i++) {
        assert.ok(Date.parse(own[i].startsAt) >= Date.parse(own[i - 1].endsAt), 'no overlap');
      }
    }
    for (const appointment of appointments) {
      assert.ok(Date.parse(appointment.startsAt) > Date.now() - 3600_000);
      assert.ok(Date.parse(appointment.startsAt) < Date.now() + 7 * 86_400_000);
    }
    const patients = await gql<{ patients: unknown[] }>(system.url, 'query { patients(limit: 100) { id } }', {}, token);
    assert.equal(patients.data?.patients.length, 10);
  }
});

test('demo RPPS numbers are 11 digits with a valid Luhn key', () => {
  for (const key of ['a', 'b', 'c', tag]) {
    const rpps = demoRpps(key);
    assert.match(rpps, /^\d{11}$/);
    let sum = 0;
    for (const [index, char] of [...rpps].reverse().entries()) {
      let digit = Number(char);
      if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    assert.equal(sum % 10, 0);
  }
});

test('the medication catalogue is there for the demo doctors, once', async () => {
  // The shared test database may hold it from an earlier run: this run added it or found it.
  assert.ok(first.medications >= 0 && second.medications === 0, `${first.medications} then ${second.medications}`);
  const login0 = first.practices[0]?.logins.find((account) => account.role === 'DOCTOR');
  assert.ok(login0);
  const doctor = await login(system.url, login0.email, password);
  const response = await gql<{ medications: { name: string; strength: string }[] }>(
    system.url,
    'query { medications(search: "paracetamol") { name strength } }',
    {},
    doctor.token,
  );
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  const strengths = (response.data?.medications ?? [])
    .filter((medication) => medication.name === 'Paracétamol')
    .map((medication) => medication.strength)
    .sort();
  assert.deepEqual(strengths, ['1 g', '500 mg']);
});
