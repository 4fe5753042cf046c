// End to end, through the router: the practitioner's view of patients — identity, medical record,
// past consultations with the practitioner's name and their prescriptions, upcoming appointments —
// comes back in one request, and what it costs (calls to each subgraph, SQL statements in each)
// does not grow with the number of patients: 2 patients or 6, same counts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD } from '../support/client.ts';
import { letters, OPEN_ALL_WEEK, PRACTICE_TIME_ZONE, rppsNumber } from '../support/practice.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

let system: TestSystem;
const calls: { subgraph: string; requestId: string }[] = [];
const statements: { subgraph: string; requestId: string }[] = [];
let admin: string;
let doctor: { token: string; userId: string };
let secretary: { token: string; userId: string };
let cabinetId: string;
let appointmentTypeId: string;
let medicationId: string;
const run = letters(5);
const HALF_HOUR = 30 * 60_000;
let slot = 0;
/** Upcoming starts on the half hour, from two days ahead (the agenda is open all day). */
const nextStart = (): string =>
  new Date(Math.ceil((Date.now() + 2 * 86_400_000) / HALF_HOUR) * HALF_HOUR + slot++ * HALF_HOUR).toISOString();

async function must(query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  const response = await gql(system.url, query, variables, token);
  if (response.errors || !response.data) throw new Error(`set-up call failed: ${JSON.stringify(response.errors)}`);
  return response.data;
}

async function account(role: string, name: string): Promise<{ token: string; userId: string }> {
  const email = uniqueEmail(`view-${role.toLowerCase()}`);
  await must(STAFF_ACCOUNT, { input: { email, password: STAFF_PASSWORD, name, role, cabinetId } }, admin);
  return login(system.url, email, STAFF_PASSWORD);
}

/** A patient whose last name starts with `surname`, with a treatment, a signed consultation with a prescription, and an upcoming appointment. */
async function followedPatient(surname: string): Promise<void> {
  const patientId = (
    await must(
      'mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { firstName: 'Suivi', lastName: `${surname}${letters(4)}`, birthDate: '1970-05-05' } },
      secretary.token,
    )
  ).registerPatient.id;
  await must(
    'mutation T($p: ID!, $input: TreatmentInput!) { addTreatment(patientId: $p, input: $input) { id } }',
    { p: patientId, input: { medication: 'Metformine 850 mg', dosage: '1 matin et soir' } },
    doctor.token,
  );
  const consultationId = (
    await must('mutation W($p: ID!) { openWalkInConsultation(patientId: $p) { id } }', { p: patientId }, doctor.token)
  ).openWalkInConsultation.id;
  await must(
    'mutation U($id: ID!, $input: UpdateConsultationInput!) { updateConsultation(id: $id, input: $input) { id } }',
    { id: consultationId, input: { reason: 'Suivi', diagnoses: [{ code: 'E11.9' }] } },
    doctor.token,
  );
  await must(
    'mutation P($c: ID!, $input: PrescriptionInput!) { issuePrescription(consultationId: $c, input: $input) { id } }',
    {
      c: consultationId,
      input: { lines: [{ medicationId, dosage: '1 comprimé', frequency: '2 fois par jour', duration: '3 mois' }] },
    },
    doctor.token,
  );
  await must('mutation S($id: ID!) { signConsultation(id: $id) { id } }', { id: consultationId }, doctor.token);
  await must(
    'mutation B($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }',
    { input: { patientId, practitionerId: doctor.userId, cabinetId, appointmentTypeId, startsAt: nextStart() } },
    secretary.token,
  );
}

const VIEW = `query View($search: String!, $from: String!) {
  patients(search: $search) {
    id firstName lastName birthDate
    medicalRecord { allergies { substance } treatments { medication dosage current } }
    consultations {
      openedAt status signedAt diagnoses { code label }
      practitioner { specialty user { name } }
      prescriptions { id lines { name strength dosage } }
    }
    appointments(from: $from) { startsAt status practitioner { user { name } } }
  }
}`;

const tally = (rows: { subgraph: string }[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const { subgraph } of rows) counts[subgraph] = (counts[subgraph] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
};

async function measured(search: string) {
  const requestId = `view-${randomUUID()}`;
  const started = performance.now();
  const response = await gql(system.url, VIEW, { search, from: new Date().toISOString() }, doctor.token, {
    'x-request-id': requestId,
  });
  const milliseconds = Math.round(performance.now() - started);
  assert.equal(response.errors, undefined, JSON.stringify(response.errors));
  return {
    patients: response.data?.patients as Record<string, any>[],
    calls: tally(calls.filter((call) => call.requestId === requestId)),
    statements: tally(statements.filter((statement) => statement.requestId === requestId)),
    milliseconds,
  };
}

before(async () => {
  system = await startTestSystem({
    observe: {
      onSubgraphRequest: (subgraph, requestId) => calls.push({ subgraph, requestId }),
      onQuery: (subgraph, { requestId }) => {
        if (requestId) statements.push({ subgraph, requestId });
      },
    },
  });
  admin = (await login(system.url, system.admin.email, system.admin.password)).token;
  cabinetId = (
    await must(
      'mutation C($input: CreateCabinetInput!) { createCabinet(input: $input) { id } }',
      {
        input: {
          name: `Cabinet du suivi ${run}`,
          specialty: 'Médecine générale',
          address: { street: '2 quai Saint-Antoine', postalCode: '69002', city: 'Lyon', country: 'FR' },
          timeZone: PRACTICE_TIME_ZONE,
        },
      },
      admin,
    )
  ).createCabinet.id;
  doctor = await account('DOCTOR', `Dr Suivi ${run}`);
  secretary = await account('SECRETARY', 'Accueil');
  await must(
    'mutation A($input: AttachPractitionerInput!) { attachPractitioner(input: $input) { id } }',
    { input: { cabinetId, userId: doctor.userId, specialty: 'Médecine générale', rpps: rppsNumber() } },
    admin,
  );
  await must(
    'mutation W($input: WeeklyAvailabilityInput!) { setWeeklyAvailability(input: $input) { id } }',
    {
      input: {
        practitionerId: doctor.userId,
        cabinetId,
        rules: OPEN_ALL_WEEK,
      },
    },
    secretary.token,
  );
  appointmentTypeId = (
    await must(
      'mutation T($input: AppointmentTypeInput!) { createAppointmentType(input: $input) { id } }',
      { input: { cabinetId, label: 'Suivi', durationMinutes: 15 } },
      secretary.token,
    )
  ).createAppointmentType.id;
  medicationId = (
    await must(
      'mutation M($input: MedicationInput!) { createMedication(input: $input) { id } }',
      { input: { name: `Metformine ${run}`, form: 'comprimé', strength: '850 mg' } },
      admin,
    )
  ).createMedication.id;
  for (let i = 0; i < 2; i++) await followedPatient(`Peu${run}`);
  for (let i = 0; i < 6; i++) await followedPatient(`Beaucoup${run}`);
});

after(async () => {
  await system?.stop();
  exitWhenIdle();
});

test("the practitioner's view of patients: one request, the same cost for 2 patients as for 6", async () => {
  const few = await measured(`Peu${run}`);
  const many = await measured(`Beaucoup${run}`);
  assert.equal(few.patients.length, 2);
  assert.equal(many.patients.length, 6);
  for (const patient of many.patients) {
    assert.deepEqual(
      patient.medicalRecord.treatments.map((t: { medication: string }) => t.medication),
      ['Metformine 850 mg'],
    );
    assert.equal(patient.consultations.length, 1);
    const [consultation] = patient.consultations;
    assert.equal(consultation.status, 'SIGNED');
    assert.equal(consultation.diagnoses[0].code, 'E11.9');
    assert.equal(consultation.practitioner.user.name, `Dr Suivi ${run}`);
    assert.equal(consultation.prescriptions[0].lines[0].name, `Metformine ${run}`);
    assert.equal(patient.appointments.length, 1);
    assert.equal(patient.appointments[0].practitioner.user.name, `Dr Suivi ${run}`);
  }
  console.log(
    `# patient view: 2 patients ${JSON.stringify(few.calls)} calls, ${JSON.stringify(few.statements)} SQL, ${few.milliseconds} ms; 6 patients ${JSON.stringify(many.calls)} calls, ${JSON.stringify(many.statements)} SQL, ${many.milliseconds} ms`,
  );
  assert.deepEqual(many.calls, few.calls, 'subgraph calls');
  assert.deepEqual(many.statements, few.statements, 'SQL statements');
});
