// End to end, through the router, the acceptance of the medical record: a practitioner takes
// today's next appointment, records vitals, a coded diagnosis and a prescription, signs; the
// appointment is fulfilled, the PDF is produced, the patient (signed in) sees the prescription, and
// a secretary asking for the same consultation gets FORBIDDEN on every clinical field. The
// practitioner's view of the patient comes back in one request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gql, login, STAFF_ACCOUNT, STAFF_PASSWORD, waitFor } from '../support/client.ts';
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
let medicationId: string;

async function must(query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  const response = await gql(system.url, query, variables, token);
  if (response.errors || !response.data) throw new Error(`call failed: ${JSON.stringify(response.errors)}`);
  return response.data;
}

async function account(role: string, extra: Record<string, string> = {}): Promise<{ token: string; userId: string }> {
  const email = uniqueEmail(`visit-${role.toLowerCase()}`);
  await must(
    STAFF_ACCOUNT,
    { input: { email, password: STAFF_PASSWORD, name: `Dr ${letters()}`, role, cabinetId, ...extra } },
    admin,
  );
  return login(system.url, email, STAFF_PASSWORD);
}

before(async () => {
  system = await startTestSystem();
  admin = (await login(system.url, system.admin.email, system.admin.password)).token;
  cabinetId = (
    await must(
      'mutation C($input: CreateCabinetInput!) { createCabinet(input: $input) { id } }',
      {
        input: {
          name: `Cabinet de la visite ${letters()}`,
          specialty: 'Médecine générale',
          address: { street: '8 rue Mercière', postalCode: '69002', city: 'Lyon', country: 'FR' },
          timeZone: PRACTICE_TIME_ZONE,
        },
      },
      admin,
    )
  ).createCabinet.id;
  doctor = await account('DOCTOR');
  secretary = await account('SECRETARY');
  await must(
    'mutation A($input: AttachPractitionerInput!) { attachPractitioner(input: $input) { id } }',
    { input: { cabinetId, userId: doctor.userId, specialty: 'Médecine générale', rpps: rppsNumber() } },
    admin,
  );
  patientId = (
    await must(
      'mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { firstName: 'Anaïs', lastName: `Lefèvre-${letters()}`, birthDate: '1979-03-14' } },
      secretary.token,
    )
  ).registerPatient.id;
  patient = await account('PATIENT', { patientId });
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
      { input: { cabinetId, label: 'Consultation', durationMinutes: 15 } },
      secretary.token,
    )
  ).createAppointmentType.id;
  medicationId = (
    await must(
      'mutation M($input: MedicationInput!) { createMedication(input: $input) { id } }',
      { input: { name: `Amoxicilline ${letters()}`, form: 'gélule', strength: '500 mg' } },
      admin,
    )
  ).createMedication.id;
});

after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const CLINICAL_FIELDS = ['reason', 'examination', 'vitals', 'diagnoses', 'observations', 'requestedExams', 'addenda'];

test("today's next appointment: vitals, ICD-10 diagnosis, prescription, signature; fulfilled, printed, seen by the patient, not by the desk", async () => {
  // Booked and checked in for today (the practice's day), then called in by the doctor.
  const appointmentId = (
    await must(
      'mutation B($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }',
      {
        input: {
          patientId,
          practitionerId: doctor.userId,
          cabinetId,
          appointmentTypeId,
          startsAt: new Date(Date.now() + 60_000).toISOString(),
        },
      },
      secretary.token,
    )
  ).bookAppointment.id;
  await must('mutation I($id: ID!) { checkInAppointment(id: $id) { id } }', { id: appointmentId }, secretary.token);
  const called = (
    await must(
      'mutation N($c: ID!, $p: ID!) { callNextPatient(cabinetId: $c, practitionerId: $p) { id status } }',
      { c: cabinetId, p: doctor.userId },
      doctor.token,
    )
  ).callNextPatient;
  assert.deepEqual(called, { id: appointmentId, status: 'IN_CONSULTATION' });

  const consultationId = (
    await must(
      'mutation O($a: ID!) { openConsultation(appointmentId: $a) { id status } }',
      { a: appointmentId },
      doctor.token,
    )
  ).openConsultation.id;
  // Invalid content is refused naming the field, and nothing is stored.
  const fever = await gql(
    system.url,
    'mutation U($id: ID!, $input: UpdateConsultationInput!) { updateConsultation(id: $id, input: $input) { id } }',
    { id: consultationId, input: { reason: 'Fièvre', vitals: { temperatureCelsius: 80 } } },
    doctor.token,
  );
  assert.equal(fever.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(fever));
  assert.equal(fever.errors?.[0]?.extensions?.field, 'vitals.temperatureCelsius');
  const unknownCode = await gql(
    system.url,
    'mutation U($id: ID!, $input: UpdateConsultationInput!) { updateConsultation(id: $id, input: $input) { id } }',
    { id: consultationId, input: { diagnoses: [{ code: 'Q99.999' }] } },
    doctor.token,
  );
  assert.equal(unknownCode.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(unknownCode));
  const untouched = (
    await must(
      'query C($id: ID!) { consultation(id: $id) { reason vitals { temperatureCelsius } } }',
      { id: consultationId },
      doctor.token,
    )
  ).consultation;
  assert.deepEqual([untouched.reason, untouched.vitals?.temperatureCelsius ?? null], [null, null], 'nothing stored');

  const recorded = (
    await must(
      `mutation U($id: ID!, $input: UpdateConsultationInput!) {
        updateConsultation(id: $id, input: $input) { vitals { temperatureCelsius weightKg heightCm bmi } diagnoses { code label } }
      }`,
      {
        id: consultationId,
        input: {
          reason: 'Fièvre et mal de gorge depuis 3 jours',
          examination: 'Amygdales érythémateuses',
          vitals: {
            systolicMmHg: 125,
            diastolicMmHg: 80,
            heartRateBpm: 88,
            temperatureCelsius: 38.6,
            weightKg: 64,
            heightCm: 168,
            spo2Percent: 98,
          },
          diagnoses: [{ code: 'J02.9' }],
        },
      },
      doctor.token,
    )
  ).updateConsultation;
  assert.equal(recorded.vitals.bmi, 22.7);
  assert.equal(recorded.diagnoses[0].code, 'J02.9');

  const prescription = (
    await must(
      `mutation P($c: ID!, $input: PrescriptionInput!) {
        issuePrescription(consultationId: $c, input: $input) { id document { filename contentType base64 } }
      }`,
      {
        c: consultationId,
        input: {
          lines: [{ medicationId, dosage: '1 gélule', frequency: '3 fois par jour', duration: '6 jours' }],
          exams: [],
        },
      },
      doctor.token,
    )
  ).issuePrescription;
  assert.equal(prescription.document.contentType, 'application/pdf');
  assert.equal(Buffer.from(prescription.document.base64, 'base64').subarray(0, 5).toString(), '%PDF-');

  const signed = (
    await must(
      'mutation S($id: ID!) { signConsultation(id: $id) { status signedAt } }',
      { id: consultationId },
      doctor.token,
    )
  ).signConsultation;
  assert.equal(signed.status, 'SIGNED');
  // A signed consultation is not edited.
  const edit = await gql(
    system.url,
    'mutation U($id: ID!, $input: UpdateConsultationInput!) { updateConsultation(id: $id, input: $input) { id } }',
    { id: consultationId, input: { observations: 'changed' } },
    doctor.token,
  );
  assert.equal(edit.errors?.[0]?.extensions?.code, 'CONFLICT', JSON.stringify(edit));

  // The appointment is fulfilled, by the signature's event.
  await waitFor(async () => {
    const { appointment } = await must(
      'query A($id: ID!) { appointment(id: $id) { status } }',
      { id: appointmentId },
      secretary.token,
    );
    return appointment.status === 'FULFILLED';
  });

  // The patient, signed in, sees the prescription (and is told of it).
  const mine = (await must('{ myPrescriptions { id lines { dosage } } }', {}, patient.token)).myPrescriptions;
  assert.deepEqual(
    mine.map((p: { id: string }) => p.id),
    [prescription.id],
  );
  await waitFor(async () => {
    const bell = (await must('{ myNotifications(limit: 50) { kind } }', {}, patient.token)).myNotifications;
    return bell.some((n: { kind: string }) => n.kind === 'PRESCRIPTION_ISSUED');
  });

  // The desk: that the consultation took place, and FORBIDDEN on every clinical field.
  const desk = await gql(
    system.url,
    `query C($id: ID!) { consultation(id: $id) {
      id status signedAt patient { id } ${CLINICAL_FIELDS.map((field) => (field === 'vitals' ? 'vitals { bmi }' : field === 'diagnoses' ? 'diagnoses { code }' : field === 'requestedExams' ? 'requestedExams { kind }' : field === 'addenda' ? 'addenda { text }' : field)).join(' ')}
    } }`,
    { id: consultationId },
    secretary.token,
  );
  assert.equal(desk.data?.consultation?.status, 'SIGNED');
  const refused = (desk.errors ?? [])
    .filter((error) => error.extensions?.code === 'FORBIDDEN')
    .map((error) => error.path?.at(-1))
    .sort();
  assert.deepEqual(refused, [...CLINICAL_FIELDS].sort(), JSON.stringify(desk.errors));
  for (const field of CLINICAL_FIELDS) assert.equal(desk.data?.consultation?.[field] ?? null, null, field);

  // The practitioner's view of the patient, in one request: identity, record, past consultations
  // with the practitioner's name and prescriptions, upcoming appointments.
  const view = (
    await must(
      `query V($id: ID!, $from: String!) { patient(id: $id) {
        firstName lastName
        medicalRecord { allergies { substance } treatments { medication } }
        consultations { status signedAt diagnoses { code } practitioner { user { name } } prescriptions { id } }
        appointments(from: $from) { startsAt status }
      } }`,
      { id: patientId, from: new Date(Date.now() - 3_600_000).toISOString() },
      doctor.token,
    )
  ).patient;
  assert.equal(view.firstName, 'Anaïs');
  assert.equal(view.consultations.length, 1);
  assert.equal(view.consultations[0].diagnoses[0].code, 'J02.9');
  assert.match(view.consultations[0].practitioner.user.name, /^Dr /);
  assert.deepEqual(
    view.consultations[0].prescriptions.map((p: { id: string }) => p.id),
    [prescription.id],
  );
  assert.ok(view.appointments.some((a: { status: string }) => a.status === 'FULFILLED'));
});
