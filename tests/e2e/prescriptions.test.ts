// End to end, through the router: prescriptions. ADMIN keeps the medication catalogue; the doctor
// opens the patient's appointment and issues a prescription on the consultation; its PDF names
// the practice, the doctor (with their signature line) and the patient; the patient, signed in,
// sees it; a secretary gets FORBIDDEN; invalid lines are refused naming the field.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { type GraphQLResponse, gql, login, STAFF_ACCOUNT, STAFF_PASSWORD } from '../support/client.ts';
import { pdfText } from '../support/pdf.ts';
import { letters, OPEN_ALL_WEEK, rppsNumber } from '../support/practice.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

let system: TestSystem;
let admin: string;
let cabinetId: string;
let practiceName: string;
let doctor: { token: string; userId: string };
let colleague: { token: string; userId: string };
let secretary: { token: string; userId: string };
let outsider: { token: string; userId: string };
let patientId: string;
let patientName: string;
let patient: { token: string; userId: string };
let otherPatient: { token: string; userId: string };
let appointmentTypeId: string;
const rpps = rppsNumber();
const SIGNATURE = 'Dr Claire Fontaine — Médecin généraliste, Lyon';

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
  const email = uniqueEmail(`prescription-${role.toLowerCase()}`);
  await must(
    STAFF_ACCOUNT,
    { input: { email, password: STAFF_PASSWORD, name: `Prescription ${role}`, role, cabinetId: practice, ...extra } },
    admin,
  );
  return login(system.url, email, STAFF_PASSWORD);
}

async function registerPatient(firstName: string, lastName: string): Promise<string> {
  return (
    await must(
      'mutation Register($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
      { input: { firstName, lastName, birthDate: '1984-03-12' } },
      secretary.token,
    )
  ).registerPatient.id;
}

let slot = 0;
const HALF_HOUR = 30 * 60_000;
/** The first half hour from an hour ahead: 15-minute appointments from there never straddle midnight. */
const firstStart = Math.ceil((Date.now() + 3_600_000) / HALF_HOUR) * HALF_HOUR;
/** A start time nobody else in this file uses (the agenda is open all day). */
const nextStart = (): string => new Date(firstStart + slot++ * HALF_HOUR).toISOString();

/** A consultation the doctor opens from a new appointment of `patientId`, through the router. */
async function openConsultation(): Promise<string> {
  const booked = await must(
    `mutation Book($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }`,
    { input: { patientId, practitionerId: doctor.userId, cabinetId, appointmentTypeId, startsAt: nextStart() } },
    secretary.token,
  );
  const opened = await must(
    'mutation Open($a: ID!) { openConsultation(appointmentId: $a) { id } }',
    { a: booked.bookAppointment.id },
    doctor.token,
  );
  return opened.openConsultation.id;
}

const MEDICATION = 'id name form strength active';
const PRESCRIPTION = `id consultationId patientId practitionerId practitionerName issuedAt exams
  lines { medicationId name form strength dosage frequency duration instructions }`;
const ISSUE = `mutation Issue($c: ID!, $input: PrescriptionInput!) {
  issuePrescription(consultationId: $c, input: $input) { ${PRESCRIPTION} document { filename contentType base64 } }
}`;
const BY_ID = `query P($id: ID!) { prescription(id: $id) { ${PRESCRIPTION} } }`;
const OF_CONSULTATION = 'query C($c: ID!) { prescriptions(consultationId: $c) { id } }';
const createMedication = async (name: string, strength: string, form = 'comprimé') =>
  (
    await must(
      `mutation M($input: MedicationInput!) { createMedication(input: $input) { ${MEDICATION} } }`,
      { input: { name, form, strength } },
      admin,
    )
  ).createMedication;

const codeOf = (response: GraphQLResponse): string | undefined => response.errors?.[0]?.extensions?.code;

before(async () => {
  system = await startTestSystem();
  admin = (await login(system.url, system.admin.email, system.admin.password)).token;
  practiceName = `Cabinet des Lilas ${letters()}`;
  cabinetId = (
    await must(
      `mutation Create($input: CreateCabinetInput!) { createCabinet(input: $input) { id } }`,
      {
        input: {
          name: practiceName,
          specialty: 'Médecine générale',
          address: { street: '8 place Bellecour', postalCode: '69002', city: 'Lyon', country: 'FR' },
          phone: '04 72 00 00 00',
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
    { input: { cabinetId, userId: doctor.userId, specialty: 'Médecine générale', rpps } },
    admin,
  );
  // The doctor's own profile: the name and signature line printed on their prescriptions.
  await must(
    'mutation Me($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { id } }',
    { input: { name: 'Claire Fontaine', signature: SIGNATURE } },
    doctor.token,
  );
  patientName = `Morel-${letters()}`;
  patientId = await registerPatient('Aurélie', patientName);
  patient = await account('PATIENT', cabinetId, { patientId });
  otherPatient = await account('PATIENT', cabinetId, { patientId: await registerPatient('Paul', `Roux-${letters()}`) });
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

test('ADMIN keeps the medication catalogue; doctors look it up ignoring accents; nobody else touches it', async () => {
  const label = letters(8);
  const created = await createMedication(`Amoxicilline ${label}`, '1 g');
  assert.deepEqual([created.form, created.strength, created.active], ['comprimé', '1 g', true]);
  const duplicate = await gql(
    system.url,
    'mutation M($input: MedicationInput!) { createMedication(input: $input) { id } }',
    { input: { name: `AMOXICILLINE ${label}`, form: 'Comprimé', strength: '1 G' } },
    admin,
  );
  assert.equal(codeOf(duplicate), 'CONFLICT', JSON.stringify(duplicate));
  const search = `query S($s: String, $all: Boolean) { medications(search: $s, includeInactive: $all) { ${MEDICATION} } }`;
  const found = await must(search, { s: `amoxicilline ${label.toUpperCase()}` }, doctor.token);
  assert.deepEqual(found.medications, [created]);
  const withdrawn = (
    await must('mutation D($id: ID!) { deactivateMedication(id: $id) { active } }', { id: created.id }, admin)
  ).deactivateMedication;
  assert.equal(withdrawn.active, false);
  assert.deepEqual((await must(search, { s: label }, doctor.token)).medications, []);
  assert.deepEqual(
    (await must(search, { s: label, all: true }, doctor.token)).medications.map((m: { id: string }) => m.id),
    [created.id],
  );
  const doctorCreates = await gql(
    system.url,
    'mutation M($input: MedicationInput!) { createMedication(input: $input) { id } }',
    { input: { name: `X ${label}`, form: 'sirop', strength: '1 mg' } },
    doctor.token,
  );
  assert.equal(codeOf(doctorCreates), 'FORBIDDEN');
  assert.equal(codeOf(await gql(system.url, search, { s: label }, secretary.token)), 'FORBIDDEN');
  assert.equal(codeOf(await gql(system.url, search, { s: label }, patient.token)), 'FORBIDDEN');
});

test('the doctor prescribes on the consultation; the PDF names practice, doctor, signature and patient; the patient sees it; a secretary is FORBIDDEN', async () => {
  const label = letters(8);
  const paracetamol = await createMedication(`Paracétamol ${label}`, '500 mg');
  const ibuprofene = await createMedication(`Ibuprofène ${label}`, '200 mg');
  const lookedUp = await must(
    'query S($s: String) { medications(search: $s) { id } }',
    { s: `paracetamol ${label}` },
    doctor.token,
  );
  assert.deepEqual(lookedUp.medications, [{ id: paracetamol.id }]);
  const consultationId = await openConsultation();

  const issued = (
    await must(
      ISSUE,
      {
        c: consultationId,
        input: {
          lines: [
            { medicationId: paracetamol.id, dosage: '1 comprimé', frequency: '3 fois par jour', duration: '5 jours' },
            {
              medicationId: ibuprofene.id,
              dosage: '1 comprimé',
              frequency: 'matin et soir',
              duration: '3 jours',
              instructions: 'Pendant les repas',
            },
          ],
          exams: ['NFS, CRP'],
        },
      },
      doctor.token,
    )
  ).issuePrescription;
  assert.equal(issued.consultationId, consultationId);
  assert.equal(issued.patientId, patientId);
  assert.equal(issued.practitionerId, doctor.userId);
  assert.equal(issued.practitionerName, 'Claire Fontaine');
  assert.deepEqual(
    issued.lines.map((line: Record<string, string>) => [line.name, line.strength, line.frequency, line.instructions]),
    [
      [`Paracétamol ${label}`, '500 mg', '3 fois par jour', null],
      [`Ibuprofène ${label}`, '200 mg', 'matin et soir', 'Pendant les repas'],
    ],
  );
  assert.deepEqual(issued.exams, ['NFS, CRP']);

  // The printable document: a real PDF with the letterhead, the doctor, the signature line, the patient.
  const { filename, contentType, base64 } = issued.document;
  assert.equal(filename, `ordonnance-${issued.id}.pdf`);
  assert.equal(contentType, 'application/pdf');
  const bytes = Buffer.from(base64, 'base64');
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.equal((await PDFDocument.load(bytes)).getAuthor(), 'Dr Claire Fontaine');
  const text = await pdfText(bytes);
  for (const expected of [
    practiceName,
    '8 place Bellecour',
    '69002 Lyon',
    'Tél. 04 72 00 00 00',
    'Dr Claire Fontaine',
    'Médecine générale',
    `RPPS ${rpps}`,
    SIGNATURE.replace('—', '\u0097'),
    `Patient : Aurélie ${patientName.toUpperCase()}`,
    'né(e) le 12/03/1984',
    `1. Paracétamol ${label} 500 mg (comprimé)`,
    '1 comprimé, 3 fois par jour, pendant 5 jours',
    '- NFS, CRP',
  ]) {
    assert.ok(
      text.includes(expected) || text.includes(expected.replace(patientName.toUpperCase(), patientName)),
      `${expected} in:\n${text}`,
    );
  }

  // The doctors of the practice read it, on its own and on the consultation.
  assert.equal((await must(BY_ID, { id: issued.id }, colleague.token)).prescription.id, issued.id);
  const onConsultation = await must(
    'query C($id: ID!) { consultation(id: $id) { id prescriptions { id lines { name } } } }',
    { id: consultationId },
    doctor.token,
  );
  assert.deepEqual(
    onConsultation.consultation.prescriptions.map((p: { id: string }) => p.id),
    [issued.id],
  );

  // The patient, signed in, sees their prescription and its document.
  const mine = (
    await must(`{ myPrescriptions { ${PRESCRIPTION} document { contentType base64 } } }`, {}, patient.token)
  ).myPrescriptions as Record<string, any>[];
  assert.deepEqual(
    mine.map((p) => p.id),
    [issued.id],
  );
  assert.equal(Buffer.from(mine[0]?.document.base64, 'base64').subarray(0, 5).toString('latin1'), '%PDF-');
  assert.equal((await must(BY_ID, { id: issued.id }, patient.token)).prescription.id, issued.id);
  assert.deepEqual((await must(OF_CONSULTATION, { c: consultationId }, patient.token)).prescriptions, [
    { id: issued.id },
  ]);

  // Anyone else: another patient, another practice's doctor, a secretary.
  assert.equal(codeOf(await gql(system.url, BY_ID, { id: issued.id }, otherPatient.token)), 'NOT_FOUND');
  assert.deepEqual((await must('{ myPrescriptions { id } }', {}, otherPatient.token)).myPrescriptions, []);
  assert.equal(codeOf(await gql(system.url, BY_ID, { id: issued.id }, outsider.token)), 'NOT_FOUND');
  for (const query of [BY_ID, OF_CONSULTATION, '{ myPrescriptions { id } }']) {
    const response = await gql(system.url, query, { id: issued.id, c: consultationId }, secretary.token);
    assert.equal(codeOf(response), 'FORBIDDEN', JSON.stringify(response));
    assert.ok(!JSON.stringify(response).includes('Paracétamol'), 'nothing of it leaks');
  }
  const secretaryReadsConsultation = await gql(
    system.url,
    'query C($id: ID!) { consultation(id: $id) { id status prescriptions { id } } }',
    { id: consultationId },
    secretary.token,
  );
  assert.equal(secretaryReadsConsultation.data?.consultation?.id, consultationId, 'that it happened: yes');
  assert.equal(codeOf(secretaryReadsConsultation), 'FORBIDDEN');
  assert.deepEqual(secretaryReadsConsultation.errors?.[0]?.path, ['consultation', 'prescriptions']);
});

test('only the consultation’s doctor prescribes; invalid lines are refused naming the field; nothing is stored', async () => {
  const drug = await createMedication(`Cétirizine ${letters(8)}`, '10 mg');
  const consultationId = await openConsultation();
  const line = { medicationId: drug.id, dosage: '1 comprimé', frequency: 'le soir', duration: '10 jours' };
  const refusals: [Record<string, unknown>, string][] = [
    [{ lines: [{ dosage: '1 comprimé', frequency: 'le soir', duration: '10 jours' }] }, 'lines[0].medicationId'],
    [{ lines: [line, { ...line, medicationId: randomUUID() }] }, 'lines[1].medicationId'],
    [{ lines: [{ ...line, dosage: ' ' }] }, 'lines[0].dosage'],
    [{ exams: [''] }, 'exams[0]'],
    [{}, 'lines'],
  ];
  for (const [input, field] of refusals) {
    const response = await gql(system.url, ISSUE, { c: consultationId, input }, doctor.token);
    assert.equal(codeOf(response), 'BAD_USER_INPUT', JSON.stringify(response));
    assert.equal(response.errors?.[0]?.extensions?.field, field, JSON.stringify(response));
  }
  const colleagueIssues = await gql(
    system.url,
    ISSUE,
    { c: consultationId, input: { lines: [line] } },
    colleague.token,
  );
  assert.equal(codeOf(colleagueIssues), 'FORBIDDEN', JSON.stringify(colleagueIssues));
  const outsiderIssues = await gql(system.url, ISSUE, { c: consultationId, input: { lines: [line] } }, outsider.token);
  assert.equal(codeOf(outsiderIssues), 'NOT_FOUND', JSON.stringify(outsiderIssues));
  const secretaryIssues = await gql(
    system.url,
    ISSUE,
    { c: consultationId, input: { lines: [line] } },
    secretary.token,
  );
  assert.equal(codeOf(secretaryIssues), 'FORBIDDEN', JSON.stringify(secretaryIssues));
  assert.deepEqual(
    (await must(OF_CONSULTATION, { c: consultationId }, doctor.token)).prescriptions,
    [],
    'nothing stored',
  );
});
