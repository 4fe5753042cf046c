// End to end, through the router: a consultation. The doctor opens it from the patient's
// appointment, records vitals and a coded diagnosis, signs it (the appointment is then fulfilled);
// a signed consultation is final and corrected by addenda; a secretary sees that it took place,
// never what it says; invalid content is refused naming the field; another practice sees nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type GraphQLResponse, gql, login, STAFF_ACCOUNT, STAFF_PASSWORD, waitFor } from '../support/client.ts';
import { letters, OPEN_ALL_WEEK, rppsNumber } from '../support/practice.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

let system: TestSystem;
let admin: string;
let cabinetId: string;
let doctor: { token: string; userId: string };
let colleague: { token: string; userId: string };
let secretary: { token: string; userId: string };
let outsider: { token: string; userId: string };
let patientId: string;
let patient: { token: string; userId: string };
let appointmentTypeId: string;

/** Data of a call that has to work. */
async function must(query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  const response = await gql(system.url, query, variables, token);
  if (response.errors || !response.data) throw new Error(`call failed: ${JSON.stringify(response.errors)}`);
  return response.data;
}

async function account(
  role: string,
  practice = cabinetId,
  extra: Record<string, string> = {},
): Promise<{ token: string; userId: string }> {
  const email = uniqueEmail(`consultation-${role.toLowerCase()}`);
  await must(
    STAFF_ACCOUNT,
    { input: { email, password: STAFF_PASSWORD, name: `Consultation ${role}`, role, cabinetId: practice, ...extra } },
    admin,
  );
  return login(system.url, email, STAFF_PASSWORD);
}

let slot = 0;
const HALF_HOUR = 30 * 60_000;
/**
 * A start time nobody else in this file uses, from an hour ahead, on the half hour: the agenda is
 * open all day, and a 15-minute appointment on the half hour never crosses local midnight.
 */
const nextStart = (): string =>
  new Date(Math.ceil((Date.now() + 3_600_000) / HALF_HOUR) * HALF_HOUR + slot++ * HALF_HOUR).toISOString();

async function bookAppointment(): Promise<string> {
  const booked = await must(
    `mutation Book($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }`,
    {
      input: { patientId, practitionerId: doctor.userId, cabinetId, appointmentTypeId, startsAt: nextStart() },
    },
    secretary.token,
  );
  return booked.bookAppointment.id;
}

const METADATA = 'id type status openedAt signedAt patient { id } practitioner { userId } appointment { id }';
const CLINICAL = `reason examination
  vitals { systolicMmHg diastolicMmHg heartRateBpm temperatureCelsius weightKg heightCm bmi spo2Percent }
  diagnoses { code label note } observations requestedExams { kind description } addenda { text authorId at }`;
const CLINICAL_FIELDS = ['reason', 'examination', 'vitals', 'diagnoses', 'observations', 'requestedExams', 'addenda'];
const OPEN = `mutation Open($appointmentId: ID!) { openConsultation(appointmentId: $appointmentId) { ${METADATA} } }`;
const OPEN_WALK_IN = `mutation WalkIn($patientId: ID!) { openWalkInConsultation(patientId: $patientId) { ${METADATA} } }`;
const UPDATE = `mutation Update($id: ID!, $input: UpdateConsultationInput!) {
  updateConsultation(id: $id, input: $input) { ${METADATA} ${CLINICAL} }
}`;
const SIGN = `mutation Sign($id: ID!) { signConsultation(id: $id) { ${METADATA} } }`;
const ADDENDUM = `mutation Amend($id: ID!, $text: String!) { addAddendum(id: $id, text: $text) { id addenda { text authorId at } } }`;
const READ = `query Read($id: ID!) { consultation(id: $id) { ${METADATA} ${CLINICAL} } }`;

const codeOf = (response: GraphQLResponse): string | undefined => response.errors?.[0]?.extensions?.code;

before(async () => {
  system = await startTestSystem();
  admin = (await login(system.url, system.admin.email, system.admin.password)).token;
  cabinetId = (
    await must(
      `mutation Create($input: CreateCabinetInput!) { createCabinet(input: $input) { id } }`,
      {
        input: {
          name: `Cabinet des consultations ${randomUUID().slice(0, 8)}`,
          specialty: 'Médecine générale',
          address: { street: '5 rue Mercière', postalCode: '69002', city: 'Lyon', country: 'FR' },
          timeZone: 'Europe/Paris',
        },
      },
      admin,
    )
  ).createCabinet.id;
  doctor = await account('DOCTOR');
  colleague = await account('DOCTOR');
  secretary = await account('SECRETARY');
  outsider = await account('DOCTOR', randomUUID());
  await must(
    `mutation Attach($input: AttachPractitionerInput!) { attachPractitioner(input: $input) { id } }`,
    { input: { cabinetId, userId: doctor.userId, specialty: 'Médecine générale', rpps: rppsNumber() } },
    admin,
  );
  patientId = (
    await must(
      'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { firstName: 'Aurélien', lastName: `Morel-${letters()}`, birthDate: '1971-09-30' } },
      secretary.token,
    )
  ).registerPatient.id;
  patient = await account('PATIENT', cabinetId, { patientId });
  await must(
    `mutation Week($input: WeeklyAvailabilityInput!) { setWeeklyAvailability(input: $input) { id } }`,
    {
      input: {
        practitionerId: doctor.userId,
        cabinetId,
        timeZone: 'Europe/Paris',
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

test('a doctor opens the appointment, records vitals and a coded diagnosis, signs; the appointment is fulfilled; edits are refused after, addenda kept', async () => {
  const appointmentId = await bookAppointment();
  const opened = (await must(OPEN, { appointmentId }, doctor.token)).openConsultation;
  assert.equal(opened.status, 'DRAFT');
  assert.equal(opened.type, 'CONSULTATION');
  assert.deepEqual(opened.patient, { id: patientId });
  assert.deepEqual(opened.practitioner, { userId: doctor.userId });
  assert.deepEqual(opened.appointment, { id: appointmentId });
  assert.equal(opened.signedAt, null);
  const id = opened.id as string;

  // One consultation per appointment.
  const again = await gql(system.url, OPEN, { appointmentId }, doctor.token);
  assert.equal(codeOf(again), 'CONFLICT', JSON.stringify(again));

  // The doctor looks the diagnosis up, then records it with the vitals.
  const codes = (await must('{ diagnosisCodes(search: "pharyngite aigue", limit: 5) { code } }', {}, doctor.token))
    .diagnosisCodes as { code: string }[];
  assert.deepEqual(codes, [], 'labels are in English');
  const found = (await must('{ diagnosisCodes(search: "PHARYNGITIS", limit: 5) { code label } }', {}, doctor.token))
    .diagnosisCodes as { code: string; label: string }[];
  assert.ok(
    found.some((entry) => entry.code === 'J02.9'),
    JSON.stringify(found),
  );
  const updated = (
    await must(
      UPDATE,
      {
        id,
        input: {
          reason: 'Mal de gorge depuis 2 jours',
          examination: 'Amygdales érythémateuses, pas d’adénopathie',
          vitals: {
            systolicMmHg: 122,
            diastolicMmHg: 78,
            heartRateBpm: 84,
            temperatureCelsius: 38.2,
            weightKg: 81,
            heightCm: 180,
            spo2Percent: 98,
          },
          diagnoses: [{ code: 'j02.9', note: 'Test rapide négatif' }],
          requestedExams: [{ kind: 'BIOLOGY', description: 'NFS, CRP' }],
        },
      },
      doctor.token,
    )
  ).updateConsultation;
  assert.deepEqual(updated.vitals, {
    systolicMmHg: 122,
    diastolicMmHg: 78,
    heartRateBpm: 84,
    temperatureCelsius: 38.2,
    weightKg: 81,
    heightCm: 180,
    bmi: 25,
    spo2Percent: 98,
  });
  assert.deepEqual(updated.diagnoses, [
    { code: 'J02.9', label: 'Acute pharyngitis, unspecified', note: 'Test rapide négatif' },
  ]);
  assert.deepEqual(updated.requestedExams, [{ kind: 'BIOLOGY', description: 'NFS, CRP' }]);

  // Only its practitioner may change it.
  const byColleague = await gql(system.url, UPDATE, { id, input: { reason: 'autre' } }, colleague.token);
  assert.equal(codeOf(byColleague), 'FORBIDDEN', JSON.stringify(byColleague));

  const signed = (await must(SIGN, { id }, doctor.token)).signConsultation;
  assert.equal(signed.status, 'SIGNED');
  assert.ok(!Number.isNaN(Date.parse(signed.signedAt)));

  // Final: any edit is refused with a readable message, and nothing changed.
  const edit = await gql(system.url, UPDATE, { id, input: { reason: 'Corrigé' } }, doctor.token);
  assert.equal(codeOf(edit), 'CONFLICT', JSON.stringify(edit));
  assert.match(edit.errors?.[0]?.message ?? '', /signed.*addendum/);
  const resign = await gql(system.url, SIGN, { id }, doctor.token);
  assert.equal(codeOf(resign), 'CONFLICT');

  // Corrected by addenda: dated, attributed, in order.
  const before = Date.now();
  await must(ADDENDUM, { id, text: 'CRP à 12 mg/L.' }, doctor.token);
  const amended = (await must(ADDENDUM, { id, text: 'Rappel : amélioration à J3.' }, doctor.token)).addAddendum;
  assert.deepEqual(
    amended.addenda.map((a: { text: string; authorId: string }) => [a.text, a.authorId]),
    [
      ['CRP à 12 mg/L.', doctor.userId],
      ['Rappel : amélioration à J3.', doctor.userId],
    ],
  );
  for (const addendum of amended.addenda) assert.ok(Date.parse(addendum.at) >= before - 5_000, addendum.at);

  const read = (await must(READ, { id }, doctor.token)).consultation;
  assert.equal(read.reason, 'Mal de gorge depuis 2 jours');
  assert.equal(read.status, 'SIGNED');
  assert.equal(read.addenda.length, 2);

  // The patient sees, in their access log, that the doctor read their consultation.
  await waitFor(async () => {
    const log = await gql(system.url, '{ myRecordAccessLog(limit: 200) { action service userId } }', {}, patient.token);
    return (log.data?.myRecordAccessLog as { action: string; service: string; userId: string }[] | undefined)?.some(
      (access) =>
        access.action === 'medicalRecord:read' && access.service === 'consultations' && access.userId === doctor.userId,
    );
  }, 30_000);

  // The signed consultation fulfils its appointment (the appointments subgraph hears of it).
  await waitFor(async () => {
    const appointment = await must(
      'query A($id: ID!) { appointment(id: $id) { status consultation { id status } } }',
      { id: appointmentId },
      secretary.token,
    );
    return appointment.appointment.status === 'FULFILLED' && appointment.appointment.consultation?.id === id;
  }, 30_000);

  // The patient's screen: their consultations with the practitioner, in one request.
  const screen = await must(
    'query P($id: ID!) { patient(id: $id) { id consultations { id status practitioner { userId } } } }',
    { id: patientId },
    doctor.token,
  );
  assert.ok(
    screen.patient.consultations.some(
      (c: { id: string; status: string; practitioner: { userId: string } }) =>
        c.id === id && c.status === 'SIGNED' && c.practitioner.userId === doctor.userId,
    ),
    JSON.stringify(screen),
  );
});

test('a secretary asking for a consultation gets its metadata, and FORBIDDEN on every clinical field', async () => {
  const id = (await must(OPEN_WALK_IN, { patientId }, doctor.token)).openWalkInConsultation.id;
  await must(UPDATE, { id, input: { reason: 'Secret médical', vitals: { heartRateBpm: 70 } } }, doctor.token);
  const response = await gql(system.url, READ, { id }, secretary.token);
  const consultation = response.data?.consultation;
  assert.equal(consultation?.id, id, JSON.stringify(response));
  assert.equal(consultation.status, 'DRAFT');
  assert.deepEqual(consultation.patient, { id: patientId });
  assert.deepEqual(consultation.practitioner, { userId: doctor.userId });
  assert.equal(consultation.appointment, null);
  for (const field of CLINICAL_FIELDS) assert.equal(consultation[field], null, field);
  const refused = (response.errors ?? [])
    .filter((error) => error.extensions?.code === 'FORBIDDEN')
    .map((error) => error.path?.at(-1))
    .sort();
  assert.deepEqual(refused, [...CLINICAL_FIELDS].sort(), JSON.stringify(response.errors));
  assert.doesNotMatch(JSON.stringify(response), /Secret médical/);
  // Nor may a secretary write one.
  const write = await gql(system.url, UPDATE, { id, input: { reason: 'x' } }, secretary.token);
  assert.equal(codeOf(write), 'FORBIDDEN');
  // Their list of the patient's consultations: metadata only.
  const list = await must(
    'query L($p: ID!) { consultations(patientId: $p) { id status } }',
    { p: patientId },
    secretary.token,
  );
  assert.ok(list.consultations.some((c: { id: string }) => c.id === id));
});

test('invalid content (80 °C, an unknown ICD-10 code) is refused naming the field, and nothing is stored', async () => {
  const id = (await must(OPEN_WALK_IN, { patientId }, doctor.token)).openWalkInConsultation.id;
  await must(UPDATE, { id, input: { reason: 'Fièvre', vitals: { temperatureCelsius: 38 } } }, doctor.token);
  const hot = await gql(
    system.url,
    UPDATE,
    { id, input: { reason: 'Changé', vitals: { temperatureCelsius: 80 } } },
    doctor.token,
  );
  assert.equal(codeOf(hot), 'BAD_USER_INPUT', JSON.stringify(hot));
  assert.equal(hot.errors?.[0]?.extensions?.field, 'vitals.temperatureCelsius');
  const unknown = await gql(
    system.url,
    UPDATE,
    { id, input: { reason: 'Changé', diagnoses: [{ code: 'I10' }, { code: 'Q99.999' }] } },
    doctor.token,
  );
  assert.equal(codeOf(unknown), 'BAD_USER_INPUT', JSON.stringify(unknown));
  assert.equal(unknown.errors?.[0]?.extensions?.field, 'diagnoses[1].code');
  const read = (await must(READ, { id }, doctor.token)).consultation;
  assert.equal(read.reason, 'Fièvre');
  assert.equal(read.vitals.temperatureCelsius, 38);
  assert.deepEqual(read.diagnoses, []);
});

test("another practice's doctor gets NOT_FOUND for the consultation, the patient's list and every change", async () => {
  const appointmentId = await bookAppointment();
  const id = (await must(OPEN, { appointmentId }, doctor.token)).openConsultation.id;
  for (const [query, variables] of [
    [READ, { id }],
    ['query L($p: ID!) { consultations(patientId: $p) { id } }', { p: patientId }],
    [UPDATE, { id, input: { reason: 'x' } }],
    [SIGN, { id }],
    [ADDENDUM, { id, text: 'x' }],
    [OPEN, { appointmentId: await bookAppointment() }],
    [OPEN_WALK_IN, { patientId }],
  ] as const) {
    const response = await gql(system.url, query, variables, outsider.token);
    assert.equal(codeOf(response), 'NOT_FOUND', `${query}: ${JSON.stringify(response)}`);
  }
  const read = (await must(READ, { id }, doctor.token)).consultation;
  assert.equal(read.reason, null, 'unchanged');
  assert.equal(read.status, 'DRAFT');
});
