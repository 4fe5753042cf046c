import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { gql, login, STAFF_ACCOUNT, staffMember, waitFor } from '../support/client.ts';
import { exitWhenIdle, startTestSystem, type TestSystem, uniqueEmail } from '../support/system.ts';

// The patient file and the medical record through the router: the secretary keeps the file
// (contact, insurance, archive), the doctor fills and reads the record, the secretary never sees
// clinical content, and the patient reads their own file and who read their record.
let system: TestSystem;
let secretary: { token: string; userId: string };
let doctor: { token: string; userId: string };
let patientAccount: { token: string; userId: string };
let patientId: string;
/** Letters only (names hold no digits), unique to this run. */
const suffix = Array.from(randomBytes(8), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
const lastName = `Lefèvre${suffix}`;

before(async () => {
  system = await startTestSystem();
  const admin = await login(system.url, system.admin.email, system.admin.password);
  const practice = system.admin.cabinetId;
  secretary = await staffMember(system.url, admin.token, {
    email: uniqueEmail('sec'),
    role: 'SECRETARY',
    cabinetId: practice,
  });
  doctor = await staffMember(system.url, admin.token, {
    email: uniqueEmail('doc'),
    role: 'DOCTOR',
    cabinetId: practice,
  });
  const registered = await gql(
    system.url,
    'mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }',
    { input: { firstName: 'Hélène', lastName, birthDate: '1970-04-04', sex: 'FEMALE' } },
    secretary.token,
  );
  patientId = registered.data?.registerPatient.id;
  assert.ok(patientId, JSON.stringify(registered.errors));
  const email = uniqueEmail('patient');
  const password = 'a patient password 1';
  const account = await gql(
    system.url,
    STAFF_ACCOUNT,
    { input: { email, password, name: 'Hélène', role: 'PATIENT', cabinetId: practice, patientId } },
    admin.token,
  );
  assert.deepEqual(account.errors, undefined);
  patientAccount = await login(system.url, email, password);
});
after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const FILE = `id firstName lastName phone email archivedAt
  address { street postalCode city country }
  insurance { organism memberNumber validUntil }
  emergencyContact { name relationship phone }
  referringPhysician { name rpps phone }`;
const UPDATE = `mutation U($id: ID!, $input: UpdatePatientInput!) { updatePatient(id: $id, input: $input) { ${FILE} } }`;

test('the secretary updates contact and insurance, and finds "Hélène" searching "helene"', async () => {
  const updated = await gql(
    system.url,
    UPDATE,
    {
      id: patientId,
      input: {
        phone: '+33 6 12 34 56 78',
        address: { street: '8 rue des Écoles', postalCode: '75005', city: 'Paris' },
        insurance: { organism: 'Harmonie Mutuelle', memberNumber: 'HM-778899', validUntil: '2027-12-31' },
        emergencyContact: { name: 'Marc Lefèvre', relationship: 'frère', phone: '06 11 22 33 44' },
      },
    },
    secretary.token,
  );
  assert.deepEqual(updated.errors, undefined);
  assert.deepEqual(updated.data?.updatePatient.insurance, {
    organism: 'Harmonie Mutuelle',
    memberNumber: 'HM-778899',
    validUntil: '2027-12-31',
  });
  assert.equal(updated.data?.updatePatient.address.country, 'FR');
  assert.equal(updated.data?.updatePatient.firstName, 'Hélène', 'absent fields are kept');

  const search = await gql(
    system.url,
    'query S($q: String) { patients(search: $q) { id firstName } }',
    { q: `helene lefevre${suffix.toUpperCase()}` },
    secretary.token,
  );
  assert.deepEqual(search.data?.patients, [{ id: patientId, firstName: 'Hélène' }]);
});

test('invalid input is refused naming the field, and nothing is stored', async () => {
  const refused = await gql(
    system.url,
    UPDATE,
    {
      id: patientId,
      input: { email: 'new@example.fr', emergencyContact: { name: 'Zoé', relationship: 'fille', phone: 'abc' } },
    },
    secretary.token,
  );
  assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  assert.equal(refused.errors?.[0]?.extensions?.field, 'emergencyContact.phone');
  const read = await gql(
    system.url,
    'query P($id: ID!) { patient(id: $id) { email emergencyContact { name } } }',
    { id: patientId },
    secretary.token,
  );
  assert.deepEqual(read.data?.patient, { email: null, emergencyContact: { name: 'Marc Lefèvre' } });
});

const RECORD = `medicalRecord {
  patientId
  allergies { substance }
  medicalHistory { id condition code occurred recordedBy }
  surgicalHistory { id condition }
  familyHistory { id condition relation }
  treatments { id medication dosage since until current }
  habits { id kind value }
  documents { id title kind contentType sizeBytes storageRef }
}`;

test('the doctor fills the record and reads it in one request; the secretary gets FORBIDDEN on it, identity served', async () => {
  const write = async (query: string, variables: Record<string, unknown>) => {
    const response = await gql(system.url, query, { patientId, ...variables }, doctor.token);
    assert.deepEqual(response.errors, undefined);
    return response.data as Record<string, any>;
  };
  await write(
    'mutation A($patientId: ID!, $input: AllergyInput!) { recordAllergy(patientId: $patientId, input: $input) { id } }',
    { input: { substance: 'Pénicilline', severity: 'SEVERE' } },
  );
  const history = await write(
    'mutation H($patientId: ID!, $input: HistoryEntryInput!) { addHistoryEntry(patientId: $patientId, input: $input) { id } }',
    { input: { kind: 'MEDICAL', condition: 'Hypertension artérielle', code: 'I10', occurred: '2012' } },
  );
  await write(
    'mutation H($patientId: ID!, $input: HistoryEntryInput!) { addHistoryEntry(patientId: $patientId, input: $input) { id } }',
    { input: { kind: 'FAMILY', condition: 'Infarctus', relation: 'père' } },
  );
  await write(
    'mutation T($patientId: ID!, $input: TreatmentInput!) { addTreatment(patientId: $patientId, input: $input) { id } }',
    { input: { medication: 'Amlodipine', dosage: '5 mg le matin', since: '2012-09-01' } },
  );
  await write(
    'mutation Hb($patientId: ID!, $input: HabitInput!) { recordHabit(patientId: $patientId, input: $input) { id } }',
    { input: { kind: 'PHYSICAL_ACTIVITY', value: 'marche 30 min/jour' } },
  );
  await write(
    'mutation D($patientId: ID!, $input: DocumentInput!) { addDocument(patientId: $patientId, input: $input) { id } }',
    {
      input: {
        title: 'Bilan lipidique',
        kind: 'LAB_RESULT',
        date: '2025-10-01',
        contentType: 'application/pdf',
        sizeBytes: 20480,
        storageRef: 'records/bilan-2025.pdf',
      },
    },
  );

  const read = await gql(
    system.url,
    `query P($id: ID!) { patient(id: $id) { firstName ${RECORD} } }`,
    { id: patientId },
    doctor.token,
  );
  assert.deepEqual(read.errors, undefined);
  const record = read.data?.patient.medicalRecord;
  assert.equal(record.patientId, patientId);
  assert.deepEqual(record.allergies, [{ substance: 'Pénicilline' }]);
  assert.deepEqual(record.medicalHistory, [
    {
      id: history.addHistoryEntry.id,
      condition: 'Hypertension artérielle',
      code: 'I10',
      occurred: '2012',
      recordedBy: doctor.userId,
    },
  ]);
  assert.deepEqual(
    record.familyHistory.map((e: { relation: string }) => e.relation),
    ['père'],
  );
  assert.deepEqual(record.surgicalHistory, []);
  assert.equal(record.treatments[0].current, true);
  assert.deepEqual(
    record.habits.map((h: { kind: string }) => h.kind),
    ['PHYSICAL_ACTIVITY'],
  );
  assert.equal(record.documents[0].sizeBytes, 20480);

  const asSecretary = await gql(
    system.url,
    `query P($id: ID!) { patient(id: $id) { firstName lastName ${RECORD} } }`,
    { id: patientId },
    secretary.token,
  );
  assert.deepEqual(
    { firstName: asSecretary.data?.patient.firstName, medicalRecord: asSecretary.data?.patient.medicalRecord },
    { firstName: 'Hélène', medicalRecord: null },
  );
  assert.ok((asSecretary.errors ?? []).length > 0);
  for (const error of asSecretary.errors ?? []) assert.equal(error.extensions?.code, 'FORBIDDEN');
  assert.doesNotMatch(JSON.stringify(asSecretary), /Hypertension|Amlodipine|Pénicilline|Bilan/);
  const refusedWrite = await gql(
    system.url,
    'mutation T($patientId: ID!, $input: TreatmentInput!) { addTreatment(patientId: $patientId, input: $input) { id } }',
    { patientId, input: { medication: 'Doliprane' } },
    secretary.token,
  );
  assert.equal(refusedWrite.errors?.[0]?.extensions?.code, 'FORBIDDEN');
});

test("the patient reads their own file, and sees the doctor's record read in their access log", async () => {
  const mine = await gql(
    system.url,
    '{ myPatientFile { firstName lastName phone insurance { organism memberNumber } address { city } } }',
    {},
    patientAccount.token,
  );
  assert.deepEqual(mine.errors, undefined);
  assert.deepEqual(mine.data?.myPatientFile, {
    firstName: 'Hélène',
    lastName,
    phone: '+33 6 12 34 56 78',
    insurance: { organism: 'Harmonie Mutuelle', memberNumber: 'HM-778899' },
    address: { city: 'Paris' },
  });
  // Staff-only fields stay closed to the patient's account; their own record is open to them.
  const closed = await gql(
    system.url,
    '{ myPatientFile { firstName archiveReason archivedAt nationalIds { value } } }',
    {},
    patientAccount.token,
  );
  assert.equal(closed.data?.myPatientFile.firstName, 'Hélène');
  assert.deepEqual(
    (closed.errors ?? []).map((error) => error.extensions?.code),
    ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
  );
  const record = await gql(
    system.url,
    '{ myPatientFile { medicalRecord { allergies { substance } medicalHistory { condition } treatments { medication } } } }',
    {},
    patientAccount.token,
  );
  assert.deepEqual(record.errors, undefined);
  assert.deepEqual(record.data?.myPatientFile.medicalRecord, {
    allergies: [{ substance: 'Pénicilline' }],
    medicalHistory: [{ condition: 'Hypertension artérielle' }],
    treatments: [{ medication: 'Amlodipine' }],
  });

  const log = await waitFor(async () => {
    const response = await gql(
      system.url,
      '{ myRecordAccessLog(limit: 200) { action userId role } }',
      {},
      patientAccount.token,
    );
    const entries = (response.data?.myRecordAccessLog ?? []) as { action: string; userId: string }[];
    return entries.some((entry) => entry.action === 'medicalRecord:read' && entry.userId === doctor.userId)
      ? entries
      : null;
  }, 30000);
  assert.ok(log.some((entry) => entry.action === 'updatePatient' && entry.userId === secretary.userId));
});

test('the secretary archives the file: out of searches, still readable, back once restored', async () => {
  const search = (includeArchived: boolean) =>
    gql(
      system.url,
      'query S($q: String, $all: Boolean) { patients(search: $q, includeArchived: $all) { id archivedAt } }',
      { q: suffix, all: includeArchived },
      secretary.token,
    );
  const archived = await gql(
    system.url,
    'mutation A($id: ID!) { archivePatient(id: $id, reason: "Déménagement") { id archivedAt archiveReason } }',
    { id: patientId },
    secretary.token,
  );
  assert.deepEqual(archived.errors, undefined);
  assert.equal(archived.data?.archivePatient.archiveReason, 'Déménagement');
  assert.deepEqual((await search(false)).data?.patients, []);
  assert.deepEqual(
    (await search(true)).data?.patients.map((p: { id: string }) => p.id),
    [patientId],
  );
  const byId = await gql(
    system.url,
    'query P($id: ID!) { patient(id: $id) { archivedAt } }',
    { id: patientId },
    secretary.token,
  );
  assert.ok(byId.data?.patient.archivedAt);
  const restored = await gql(
    system.url,
    'mutation R($id: ID!) { restorePatient(id: $id) { archivedAt } }',
    { id: patientId },
    secretary.token,
  );
  assert.equal(restored.data?.restorePatient.archivedAt, null);
  assert.equal((await search(false)).data?.patients.length, 1);
});
