import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { gql, login, staffMember, waitFor } from '../support/client.ts';
import {
  exitWhenIdle,
  POSTGRES_URL,
  startTestSystem,
  TEST_DB_PREFIX,
  type TestSystem,
  uniqueEmail,
} from '../support/system.ts';

// Need to know, through the router: each role sees what its work needs, nothing else, and every
// access, allowed or refused, reaches the audit trail.
let system: TestSystem;
let admin: { token: string };
let secretary: { token: string; userId: string };
let doctor: { token: string; userId: string };
before(async () => {
  system = await startTestSystem();
  admin = await login(system.url, system.admin.email, system.admin.password);
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
});
after(async () => {
  await system?.stop();
  exitWhenIdle();
});

const nirBody = '2690499350011';
const NIR = `${nirBody}${String(97 - Number(BigInt(nirBody) % 97n)).padStart(2, '0')}`;
const REGISTER = `mutation R($input: RegisterPatientInput!) { registerPatient(input: $input) { id } }`;

test('a national identifier is stored encrypted, shown to the practice staff, unique in the practice', async () => {
  const registered = await gql(
    system.url,
    REGISTER,
    {
      input: {
        firstName: 'Inès',
        lastName: 'Chiffre',
        birthDate: '1969-04-12',
        nationalIds: [{ type: 'NIR', value: NIR }],
      },
    },
    secretary.token,
  );
  assert.deepEqual(registered.errors, undefined);
  const id = registered.data?.registerPatient.id as string;
  const read = await gql(
    system.url,
    'query P($id: ID!) { patient(id: $id) { lastName nationalIds { type value } } }',
    { id },
    doctor.token,
  );
  assert.deepEqual(read.data?.patient, { lastName: 'Chiffre', nationalIds: [{ type: 'NIR', value: NIR }] });

  const db = new pg.Client({ connectionString: `${POSTGRES_URL}/${TEST_DB_PREFIX}_patients` });
  await db.connect();
  try {
    const { rows } = await db.query(
      'select value_encrypted, blind_index from patient_national_id where patient_id = $1',
      [id],
    );
    assert.equal(rows.length, 1);
    assert.doesNotMatch(JSON.stringify(rows), new RegExp(NIR.slice(0, 8)), 'no clear identifier at rest');
  } finally {
    await db.end();
  }

  const duplicate = await gql(
    system.url,
    REGISTER,
    {
      input: {
        firstName: 'Autre',
        lastName: 'Personne',
        birthDate: '1970-01-01',
        nationalIds: [{ type: 'NIR', value: NIR }],
      },
    },
    secretary.token,
  );
  assert.equal(duplicate.errors?.[0]?.extensions?.code, 'CONFLICT');
  assert.doesNotMatch(JSON.stringify(duplicate), new RegExp(NIR.slice(0, 8)), 'the identifier is not echoed');
});

test('the platform admin reads no patient data: the router refuses the fields, the rest is served', async () => {
  // `patients` is non-null, so its refusal nulls the whole answer, as GraphQL requires.
  const response = await gql(system.url, '{ me { id role } patients { id lastName } }', {}, admin.token);
  assert.equal(response.data, null);
  const refused = response.errors?.find((error) => error.path?.[0] === 'patients');
  assert.equal(refused?.extensions?.code, 'FORBIDDEN');
  const me = await gql(system.url, '{ me { role } }', {}, admin.token);
  assert.equal(me.data?.me.role, 'ADMIN');
  assert.doesNotMatch(JSON.stringify(response), /Chiffre/);
});

test('every refused and allowed access to a patient reaches the audit trail', async () => {
  const registered = await gql(
    system.url,
    REGISTER,
    { input: { firstName: 'Trace', lastName: 'Audit', birthDate: '1980-05-05' } },
    secretary.token,
  );
  const patientId = registered.data?.registerPatient.id as string;
  const elsewhere = await staffMember(system.url, admin.token, {
    email: uniqueEmail('x'),
    role: 'DOCTOR',
    cabinetId: crypto.randomUUID(),
  });
  const denied = await gql(
    system.url,
    'query P($id: ID!) { patient(id: $id) { id } }',
    { id: patientId },
    elsewhere.token,
  );
  assert.equal(denied.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  await gql(system.url, 'query P($id: ID!) { patient(id: $id) { id } }', { id: patientId }, doctor.token);

  const records = await waitFor(async () => {
    const log = await gql(
      system.url,
      'query A($p: ID) { auditLog(filter: { patientId: $p }, limit: 50) { action outcome reason userId service } }',
      { p: patientId },
      admin.token,
    );
    const rows = (log.data?.auditLog ?? []) as {
      action: string;
      outcome: string;
      reason: string | null;
      userId: string;
    }[];
    return rows.length >= 3 ? rows : null;
  }, 30000);
  assert.ok(
    records.some((r) => r.action === 'registerPatient' && r.outcome === 'ALLOWED' && r.userId === secretary.userId),
  );
  assert.ok(records.some((r) => r.action === 'patient:read' && r.outcome === 'ALLOWED' && r.userId === doctor.userId));
  assert.ok(
    records.some(
      (r) =>
        r.action === 'patient:read' &&
        r.outcome === 'DENIED' &&
        r.reason === 'NOT_FOUND' &&
        r.userId === elsewhere.userId,
    ),
  );
});
