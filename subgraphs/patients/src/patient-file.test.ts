// Integration: the patient file (update, search, archive, the patient's own view) on the real
// PostgreSQL test database of the patients subgraph. Every test works in a practice of its own
// (random ids) and reads the outbox records of its own patients only.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Auditor } from '@cabinet/platform/audit';
import { FieldCipher } from '@cabinet/platform/crypto';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, PATIENT_UPDATED } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { Allergy } from './persistence/allergy.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { Patient, PatientNationalId } from './persistence/patient.entity.ts';
import { RecordEntry } from './persistence/record-entry.entity.ts';
import { PatientsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_patients`;
const log = createLogger('test', 'silent');

let orm: MikroORM;
let patients: PatientsService;
const topic = `test-${randomUUID()}.patients`;

before(async () => {
  orm = await openDatabase({
    url: DATABASE_URL,
    entities: [Patient, PatientNationalId, Allergy, RecordEntry, OutboxEvent],
    migrations,
  });
  const auditor = new Auditor({ service: 'patients', orm, topic: `test-${randomUUID()}.audit`, onRecorded: () => {} });
  patients = new PatientsService({
    orm,
    log,
    topic,
    auditor,
    cipher: new FieldCipher(randomBytes(32).toString('base64url')),
    onEventsRecorded: () => {},
  });
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, patientId: string | null = null): Caller => ({
  requestId: randomUUID(),
  clientAddress: null,
  identity: { userId: randomUUID(), role, cabinetId, patientId },
});

const nirBody = '2690499350011';
const NIR = `${nirBody}${String(97 - Number(BigInt(nirBody) % 97n)).padStart(2, '0')}`;

async function practice() {
  const cabinetId = randomUUID();
  const secretary = as('SECRETARY', cabinetId);
  const suffix = randomBytes(4).toString('hex').replace(/\d/g, 'x');
  const helene = await patients.register(secretary, {
    firstName: 'Hélène',
    lastName: `Dupré${suffix}`,
    birthDate: '1975-06-01',
    nationalIds: [{ type: 'NIR', value: NIR }],
  });
  return { cabinetId, secretary, suffix, helene };
}

async function eventsOf(patientId: string, type: string) {
  const rows = await sql<{ payload: { data: Record<string, unknown> } }>(
    orm.em.fork(),
    'select payload from outbox_event where topic = ? and type = ? and key = ? order by occurred_at, id',
    [topic, type, patientId],
  );
  return rows.map((row) => row.payload.data);
}

const badInput = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

test('a partial update changes what is given, keeps the rest, is audited and announced', async () => {
  const { cabinetId, secretary, helene } = await practice();
  const updated = await patients.update(secretary, helene.id, {
    phone: '+33 6 11 22 33 44',
    address: { street: ' 3  rue des Lilas ', postalCode: '69003', city: 'Lyon' },
    insurance: { organism: 'MGEN', memberNumber: '123 456 789', validUntil: '2027-12-31' },
    emergencyContact: { name: 'Paul Dupré', relationship: 'époux', phone: '06 98 76 54 32' },
    referringPhysician: { name: 'Dr Martin', rpps: '10101010101' },
  });
  assert.equal(updated.firstName, 'Hélène');
  assert.equal(updated.phone, '+33 6 11 22 33 44');
  assert.deepEqual(updated.address, { street: '3 rue des Lilas', postalCode: '69003', city: 'Lyon', country: 'FR' });
  assert.deepEqual(updated.insurance, { organism: 'MGEN', memberNumber: '123 456 789', validUntil: '2027-12-31' });
  assert.deepEqual(updated.referringPhysician, { name: 'Dr Martin', rpps: '10101010101', phone: null });

  // Null clears an optional detail; absent ones stay.
  const cleared = await patients.update(secretary, helene.id, { insurance: null, email: 'h@example.fr' });
  assert.equal(cleared.insurance, null);
  assert.equal(cleared.email, 'h@example.fr');
  assert.deepEqual(cleared.address, updated.address);
  assert.deepEqual((await patients.byId(secretary, helene.id)).emergencyContact, updated.emergencyContact);

  const events = await eventsOf(helene.id, PATIENT_UPDATED);
  assert.equal(events.length, 2);
  assert.deepEqual(events[0], {
    patientId: helene.id,
    cabinetId,
    displayName: `Hélène ${helene.lastName.toUpperCase()}`,
    archived: false,
    birthDate: '1975-06-01',
  });
  const audit = await sql<{ n: string }>(
    orm.em.fork(),
    `select count(*) as n from outbox_event where type = ? and payload->'data'->>'action' = 'updatePatient'
       and payload->'data'->>'patientId' = ? and payload->'data'->>'outcome' = 'ALLOWED'`,
    [ACCESS_AUDITED, helene.id],
  );
  assert.equal(Number(audit[0]?.n), 2);
});

test('invalid input is refused naming the field, and nothing is stored', async () => {
  const { secretary, helene } = await practice();
  for (const [field, input] of [
    ['emergencyContact.phone', { emergencyContact: { name: 'A', relationship: 'fille', phone: 'abc' } }],
    ['insurance.validUntil', { insurance: { organism: 'MGEN', memberNumber: '1', validUntil: '2027-02-30' } }],
    ['referringPhysician.rpps', { referringPhysician: { name: 'Dr X', rpps: '123' } }],
    ['address.country', { address: { street: '1 rue', postalCode: '75001', city: 'Paris', country: 'France' } }],
    ['lastName', { lastName: null }],
    ['email', { phone: '+33 1 23 45 67 89', email: 'not an email' }],
  ] as const) {
    await assert.rejects(patients.update(secretary, helene.id, input), badInput(field), field);
  }
  const stored = await patients.byId(secretary, helene.id);
  assert.equal(stored.phone, null, 'the valid part of a refused update is not stored either');
  assert.equal(stored.emergencyContact, null);
  assert.equal((await eventsOf(helene.id, PATIENT_UPDATED)).length, 0);
});

test('search ignores case and accents, matches parts of names, and finds an exact national identifier', async () => {
  const { secretary, suffix, helene } = await practice();
  const ids = async (search: string, includeArchived = false) =>
    (await patients.list(secretary, { search, includeArchived })).map((patient) => patient.id);
  assert.deepEqual(await ids(`helene dupre${suffix}`), [helene.id]);
  assert.deepEqual(await ids(`DUPRE${suffix.toUpperCase()}`), [helene.id]);
  assert.deepEqual(await ids(`${suffix} hél`), [helene.id]);
  assert.deepEqual(await ids(`${suffix.slice(1, 5)}`), [helene.id]);
  const spaced = `${NIR.slice(0, 1)} ${NIR.slice(1, 3)} ${NIR.slice(3, 5)} ${NIR.slice(5)}`;
  assert.deepEqual(await ids(spaced), [helene.id]);
  // Another practice neither finds the name nor the identifier.
  const elsewhere = as('DOCTOR', randomUUID());
  assert.deepEqual(await patients.list(elsewhere, { search: `dupre${suffix}` }), []);
  assert.deepEqual(await patients.list(elsewhere, { search: NIR }), []);
  // Wildcards are literal.
  assert.deepEqual(await ids('%'), []);
});

test('an archived file leaves searches (unless asked), stays readable, and can be restored; nothing is deleted', async () => {
  const { cabinetId, secretary, suffix, helene } = await practice();
  await assert.rejects(patients.archive(secretary, helene.id, '  '), badInput('reason'));
  const archived = await patients.archive(secretary, helene.id, 'Moved away');
  assert.ok(archived.archivedAt);
  assert.equal(archived.archiveReason, 'Moved away');
  await assert.rejects(
    patients.archive(secretary, helene.id, 'again'),
    (e: unknown) => e instanceof DomainError && e.code === 'CONFLICT',
  );
  assert.deepEqual(await patients.list(secretary, { search: suffix }), []);
  assert.deepEqual(
    (await patients.list(secretary, { search: suffix, includeArchived: true })).map((p) => p.id),
    [helene.id],
  );
  assert.ok((await patients.byId(secretary, helene.id)).archivedAt);
  const restored = await patients.restore(secretary, helene.id);
  assert.equal(restored.archivedAt, null);
  assert.deepEqual(
    (await patients.list(secretary, { search: suffix })).map((p) => p.id),
    [helene.id],
  );
  await assert.rejects(
    patients.restore(secretary, helene.id),
    (e: unknown) => e instanceof DomainError && e.code === 'CONFLICT',
  );
  assert.deepEqual(
    (await eventsOf(helene.id, PATIENT_UPDATED)).map((data) => data.archived),
    [true, false],
  );
  const rows = await sql(orm.em.fork(), 'select id from patient where id = ? and cabinet_id = ?', [
    helene.id,
    cabinetId,
  ]);
  assert.equal(rows.length, 1);
});

test('only patient:update holders change a file; another practice gets NOT_FOUND', async () => {
  const { cabinetId, helene } = await practice();
  await assert.rejects(
    patients.update(as('PATIENT', cabinetId, helene.id), helene.id, { phone: '0102030405' }),
    (e: unknown) => e instanceof DomainError && e.code === 'FORBIDDEN',
  );
  await assert.rejects(
    patients.update(as('ADMIN', null), helene.id, { phone: '0102030405' }),
    (e: unknown) => e instanceof DomainError && e.code === 'FORBIDDEN',
  );
  await assert.rejects(
    patients.archive(as('DOCTOR', randomUUID()), helene.id, 'x'),
    (e: unknown) => e instanceof DomainError && e.code === 'NOT_FOUND',
  );
  // A doctor of the practice may (patient:update).
  assert.equal((await patients.update(as('DOCTOR', cabinetId), helene.id, { sex: 'FEMALE' })).sex, 'FEMALE');
});

test('a PATIENT account reads its own file, and only through its own link', async () => {
  const { cabinetId, helene } = await practice();
  const mine = await patients.mine(as('PATIENT', cabinetId, helene.id));
  assert.equal(mine.id, helene.id);
  assert.equal(mine.firstName, 'Hélène');
  await assert.rejects(
    patients.mine(as('PATIENT', randomUUID(), helene.id)),
    (e: unknown) => e instanceof DomainError && e.code === 'NOT_FOUND',
  );
  await assert.rejects(
    patients.mine(as('SECRETARY', cabinetId)),
    (e: unknown) => e instanceof DomainError && e.code === 'FORBIDDEN',
  );
  // The staff operations stay closed to the patient.
  await assert.rejects(
    patients.byId(as('PATIENT', cabinetId, helene.id), helene.id),
    (e: unknown) => e instanceof DomainError && e.code === 'FORBIDDEN',
  );
});
