// Benchmark of appointment booking through the router, on the real PostgreSQL and Kafka.
//   node scripts/bench/booking.ts [count=400] [concurrency=16]
// Sets up a practice with several practitioners open around the clock, then:
//  1. books `count` distinct free slots with `concurrency` secretaries' requests in flight;
//  2. contended bookings: groups of `concurrency` clients race for the same slot, `count` requests
//     in all; exactly one per slot may win, the others must get CONFLICT.
// Then reads the practice's agenda back and fails if any practitioner is double-booked.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { luhnCheckDigit } from '../../subgraphs/cabinets/src/domain/rpps.ts';
import { gql, login, staffMember } from '../../tests/support/client.ts';
import { startTestSystem, uniqueEmail } from '../../tests/support/system.ts';

const count = Number(process.argv[2] ?? 400);
const concurrency = Number(process.argv[3] ?? 16);
const PRACTITIONERS = 8;
const SECRETARIES = 4;
const PATIENTS = 20;
const DURATION = 15;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const summary = (label: string, values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`;
};
const rpps = (): string => {
  const payload = `10${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  return `${payload}${luhnCheckDigit(payload)}`;
};
const must = <T>(response: { data?: T | null; errors?: unknown[] }, what: string): T => {
  if (!response.data || response.errors) throw new Error(`${what}: ${JSON.stringify(response.errors)}`);
  return response.data;
};

const BOOK = 'mutation B($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }';
const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

const system = await startTestSystem();
try {
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const cabinet = must(
    await gql<{ createCabinet: { id: string } }>(
      system.url,
      'mutation C($input: CreateCabinetInput!) { createCabinet(input: $input) { id } }',
      {
        input: {
          name: `Bench ${randomUUID()}`,
          specialty: 'Médecine générale',
          address: { street: '1 rue du Banc', postalCode: '75001', city: 'Paris', country: 'FR' },
          timeZone: 'Europe/Paris',
        },
      },
      admin.token,
    ),
    'createCabinet',
  ).createCabinet.id;
  const secretaries = await Promise.all(
    Array.from({ length: SECRETARIES }, () =>
      staffMember(system.url, admin.token, { email: uniqueEmail('bench'), role: 'SECRETARY', cabinetId: cabinet }),
    ),
  );
  const token = (i: number): string => (secretaries[i % SECRETARIES] as { token: string }).token;
  const practitioners = await Promise.all(
    Array.from({ length: PRACTITIONERS }, async () => {
      const doctor = await staffMember(system.url, admin.token, {
        email: uniqueEmail('bench'),
        role: 'DOCTOR',
        cabinetId: cabinet,
      });
      must(
        await gql(
          system.url,
          'mutation P($input: AttachPractitionerInput!) { attachPractitioner(input: $input) { id } }',
          { input: { cabinetId: cabinet, userId: doctor.userId, specialty: 'Médecine générale', rpps: rpps() } },
          admin.token,
        ),
        'attachPractitioner',
      );
      must(
        await gql(
          system.url,
          'mutation W($input: WeeklyAvailabilityInput!) { setWeeklyAvailability(input: $input) { id } }',
          {
            input: {
              practitionerId: doctor.userId,
              cabinetId: cabinet,
              timeZone: 'Europe/Paris',
              rules: WEEKDAYS.map((weekday) => ({ weekday, startTime: '00:00', endTime: '24:00' })),
            },
          },
          token(0),
        ),
        'setWeeklyAvailability',
      );
      return doctor.userId;
    }),
  );
  const typeId = must(
    await gql<{ createAppointmentType: { id: string } }>(
      system.url,
      'mutation T($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id } }',
      { input: { cabinetId: cabinet, label: 'Consultation', durationMinutes: DURATION } },
      token(0),
    ),
    'createAppointmentType',
  ).createAppointmentType.id;
  const patients = await Promise.all(
    Array.from(
      { length: PATIENTS },
      async (_, i) =>
        must(
          await gql<{ registerPatient: { id: string } }>(
            system.url,
            'mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
            {
              input: {
                firstName: 'Banc',
                lastName: `Patient ${'abcdefghijklmnopqrstuvwxyz'[i % 26]}`,
                birthDate: '1980-01-01',
              },
            },
            token(i),
          ),
          'registerPatient',
        ).registerPatient.id,
    ),
  );

  // Free slots from tomorrow on, enough for both phases, taken in turn from each practitioner.
  const from = new Date(Date.now() + 86_400_000);
  const contendedSlots = Math.ceil(count / concurrency);
  const needed = count + contendedSlots;
  const days = Math.min(31, Math.ceil(needed / PRACTITIONERS / (24 * (60 / DURATION))) + 1);
  const to = new Date(from.getTime() + days * 86_400_000);
  const slotsOf = await Promise.all(
    practitioners.map(async (practitionerId) =>
      must(
        await gql<{ availableSlots: { startsAt: string }[] }>(
          system.url,
          `query S($p: ID!, $c: ID!, $from: String!, $to: String!, $t: ID!) {
            availableSlots(practitionerId: $p, cabinetId: $c, from: $from, to: $to, appointmentTypeId: $t) { startsAt }
          }`,
          { p: practitionerId, c: cabinet, from: from.toISOString(), to: to.toISOString(), t: typeId },
          token(0),
        ),
        'availableSlots',
      ).availableSlots.map((slot) => ({ practitionerId, startsAt: slot.startsAt })),
    ),
  );
  const slots: { practitionerId: string; startsAt: string }[] = [];
  for (let i = 0; slots.length < needed; i++) {
    const slot = slotsOf[i % PRACTITIONERS]?.[Math.floor(i / PRACTITIONERS)];
    if (!slot) throw new Error(`not enough free slots (${slots.length} of ${needed})`);
    slots.push(slot);
  }
  const book = async (i: number, slot: { practitionerId: string; startsAt: string }) => {
    const t0 = performance.now();
    const response = await gql<{ bookAppointment: { id: string } }>(
      system.url,
      BOOK,
      {
        input: {
          patientId: patients[i % PATIENTS],
          practitionerId: slot.practitionerId,
          cabinetId: cabinet,
          appointmentTypeId: typeId,
          startsAt: slot.startsAt,
        },
      },
      token(i),
    );
    return {
      ms: performance.now() - t0,
      id: response.data?.bookAppointment?.id,
      code: response.errors?.[0]?.extensions?.code,
    };
  };

  // Phase 1: distinct free slots.
  const latency: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const result = await book(i, slots[i] as { practitionerId: string; startsAt: string });
        if (result.id) latency.push(result.ms);
        else failures.push(String(result.code));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  // Phase 2: `concurrency` clients racing for each of the remaining slots, one slot after another.
  const contended = slots.slice(count, count + contendedSlots);
  const winners: number[] = [];
  const losers: number[] = [];
  const others: string[] = [];
  const winsPerSlot: number[] = [];
  const raceStarted = performance.now();
  let requests = 0;
  for (const slot of contended) {
    const racers = Math.min(concurrency, count - requests);
    requests += racers;
    const results = await Promise.all(Array.from({ length: racers }, (_, r) => book(r, slot)));
    let wins = 0;
    for (const result of results) {
      if (result.id) {
        wins++;
        winners.push(result.ms);
      } else if (result.code === 'CONFLICT') losers.push(result.ms);
      else others.push(String(result.code));
    }
    winsPerSlot.push(wins);
  }
  const raceSeconds = (performance.now() - raceStarted) / 1000;

  // The agenda, read back: nobody double-booked.
  const agenda = must(
    await gql<{
      appointments: { practitioner: { userId: string }; startsAt: string; endsAt: string; status: string }[];
    }>(
      system.url,
      'query A($c: ID!, $from: String!, $to: String!) { appointments(cabinetId: $c, from: $from, to: $to) { practitioner { userId } startsAt endsAt status } }',
      { c: cabinet, from: from.toISOString(), to: to.toISOString() },
      token(0),
    ),
    'appointments',
  ).appointments;
  let overlaps = 0;
  for (const practitionerId of practitioners) {
    const own = agenda
      .filter((a) => a.practitioner.userId === practitionerId && a.status !== 'CANCELLED')
      .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
    for (let i = 1; i < own.length; i++) {
      if (Date.parse((own[i] as { startsAt: string }).startsAt) < Date.parse((own[i - 1] as { endsAt: string }).endsAt))
        overlaps++;
    }
  }

  console.log(
    `bookAppointment through the router: ${PRACTITIONERS} practitioners, ${SECRETARIES} secretaries, concurrency ${concurrency}`,
  );
  console.log(`  distinct free slots: ${count} requests, ${latency.length} booked, ${failures.length} refused`);
  console.log(`    throughput: ${(latency.length / seconds).toFixed(1)} bookings/s`);
  console.log(`    ${summary('latency of successful bookings', latency)}`);
  console.log(
    `  contended: ${requests} requests racing for ${contended.length} slots (${concurrency} per slot), ${raceSeconds.toFixed(1)} s`,
  );
  const otherCodes = [...new Set(others)].map((code) => `${code} x${others.filter((c) => c === code).length}`);
  console.log(
    `    booked ${winners.length}, CONFLICT ${losers.length}, other ${others.length}${others.length ? ` (${otherCodes.join(', ')})` : ''}`,
  );
  console.log(`    ${summary('latency of winners', winners)}`);
  console.log(`    ${summary('latency of CONFLICT answers', losers)}`);
  console.log(`    ${summary('latency of all contended requests', [...winners, ...losers])}`);
  console.log(
    `  agenda read back: ${agenda.length} appointments (expected ${latency.length + winners.length}), ${overlaps} overlaps`,
  );
  const problems = [
    failures.length ? `${failures.length} distinct bookings refused: ${[...new Set(failures)].join(', ')}` : '',
    winsPerSlot.some((wins) => wins !== 1) ? `a contended slot was won ${Math.max(...winsPerSlot)} times or never` : '',
    others.length ? `unexpected answers in the contended phase: ${[...new Set(others)].join(', ')}` : '',
    overlaps ? `${overlaps} double bookings in the agenda` : '',
    agenda.length !== latency.length + winners.length ? 'the agenda does not hold exactly the bookings made' : '',
  ].filter(Boolean);
  if (problems.length) throw new Error(problems.join('; '));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await system.stop();
  process.exit();
}
