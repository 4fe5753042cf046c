// Integration: the prescriptions service on the real PostgreSQL test database. Every test works
// in a practice of its own (random ids) and with catalogue entries named with a tag of its own,
// so runs side by side never see each other's data.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Auditor } from '@cabinet/platform/audit';
import { CABINET_CREATED, PRACTITIONER_ATTACHED } from '@cabinet/platform/cabinet-events';
import { CONSULTATION_OPENED, PRESCRIPTION_ISSUED } from '@cabinet/platform/consultation-events';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError, type ErrorCode } from '@cabinet/platform/errors';
import {
  type AccessAudited,
  type EventEnvelope,
  envelope,
  PATIENT_REGISTERED,
  PATIENT_UPDATED,
  STAFF_PROFILE_CHANGED,
} from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { PDFDocument } from 'pdf-lib';
import { ENTITIES } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { Projection } from './projection.ts';
import { DUPLICATE_MEDICATION, NOT_YOUR_CONSULTATION, PrescriptionsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_prescriptions`;
const log = createLogger('test', 'silent');

let orm: MikroORM;
let service: PrescriptionsService;
let projection: Projection;
const topic = `test-${randomUUID()}.prescriptions`;
const auditTopic = `test-${randomUUID()}.audit`;

before(async () => {
  orm = await openDatabase({ url: DATABASE_URL, entities: [...ENTITIES, OutboxEvent], migrations });
  // Audit records and events go to the outbox under topics of this run; no relay publishes them.
  const auditor = new Auditor({ service: 'prescriptions', orm, topic: auditTopic, onRecorded: () => {} });
  service = new PrescriptionsService({ orm, log, topic, auditor, onEventsRecorded: () => {}, projectionWaitMs: 200 });
  projection = new Projection(orm, log);
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, ids: { userId?: string; patientId?: string } = {}): Caller => ({
  requestId: randomUUID(),
  clientAddress: '2001:db8::1',
  identity: {
    userId: ids.userId ?? randomUUID(),
    role,
    cabinetId,
    patientId: role === 'PATIENT' ? (ids.patientId ?? randomUUID()) : null,
  },
});
const admin = () => as('ADMIN', null);
/** Letters only, unique enough to find one test's medications among everybody's. */
const tag = (): string => Array.from(randomBytes(8), (byte) => String.fromCharCode(97 + (byte % 26))).join('');

const rejectsWith = (code: ErrorCode, field?: string, message?: string) => (error: unknown) =>
  error instanceof DomainError &&
  error.code === code &&
  (field === undefined || error.details.field === field) &&
  (message === undefined || error.message === message);

async function outbox<T>(name: string): Promise<EventEnvelope<T>[]> {
  const rows = await sql<{ payload: EventEnvelope<T> }>(
    orm.em.fork(),
    'select payload from outbox_event where topic = ? order by occurred_at, id',
    [name],
  );
  return rows.map((row) => row.payload);
}
const audit = async (): Promise<AccessAudited[]> => (await outbox<AccessAudited>(auditTopic)).map((e) => e.data);

/**
 * A practice as the other subgraphs would have announced it: the practice, a doctor attached with
 * a profile, a patient, and a consultation of that patient by that doctor.
 */
async function practice() {
  const cabinetId = randomUUID();
  const doctorId = randomUUID();
  const patientId = randomUUID();
  const consultationId = randomUUID();
  const apply = (source: string, type: string, data: unknown) =>
    projection.apply(envelope(source, type, cabinetId, null, data));
  await apply('cabinets', CABINET_CREATED, {
    cabinetId,
    name: 'Cabinet du Parc',
    specialty: 'Médecine générale',
    address: { street: '12 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' },
    phone: '01 23 45 67 89',
    email: null,
    logoUrl: null,
    openingHours: [],
    timeZone: 'Europe/Paris',
    active: true,
  });
  await apply('cabinets', PRACTITIONER_ATTACHED, {
    practitionerId: randomUUID(),
    cabinetId,
    userId: doctorId,
    specialty: 'Pédiatrie',
    rpps: '10101010101',
  });
  await apply('users', STAFF_PROFILE_CHANGED, {
    userId: doctorId,
    role: 'DOCTOR',
    cabinetId,
    name: 'Anne Martin',
    signature: 'Dr A. Martin',
  });
  await apply('patients', PATIENT_REGISTERED, { patientId, cabinetId, displayName: 'Hélène Durand' });
  await apply('consultations', CONSULTATION_OPENED, {
    consultationId,
    cabinetId,
    patientId,
    practitionerId: doctorId,
    appointmentId: null,
    openedAt: new Date().toISOString(),
  });
  return {
    cabinetId,
    consultationId,
    patientId,
    doctorId,
    apply,
    doctor: () => as('DOCTOR', cabinetId, { userId: doctorId }),
    patient: () => as('PATIENT', cabinetId, { patientId }),
  };
}

async function medication(name = `Paracétamol ${tag()}`, strength = '500 mg') {
  return service.createMedication(admin(), { name, form: 'comprimé', strength });
}

const posology = { dosage: '1 comprimé', frequency: '3 fois par jour', duration: '5 jours' };

test('ADMIN keeps the catalogue: create, unique name+form+strength, edit, deactivate; doctors look it up', async () => {
  const label = tag();
  const created = await service.createMedication(admin(), {
    name: ` Paracétamol ${label} `,
    form: 'comprimé',
    strength: '500 mg',
  });
  assert.deepEqual(
    [created.name, created.form, created.strength, created.active],
    [`Paracétamol ${label}`, 'comprimé', '500 mg', true],
  );
  await assert.rejects(
    service.createMedication(admin(), { name: `PARACÉTAMOL ${label}`, form: 'Comprimé', strength: '500 MG' }),
    rejectsWith('CONFLICT', undefined, DUPLICATE_MEDICATION),
  );
  await assert.rejects(
    service.createMedication(admin(), { name: '', form: 'comprimé', strength: '1 g' }),
    rejectsWith('BAD_USER_INPUT', 'name'),
  );
  const strong = await service.createMedication(admin(), {
    name: `Paracétamol ${label}`,
    form: 'comprimé',
    strength: '1 g',
  });
  const doctor = as('DOCTOR', randomUUID());
  // Accent- and case-insensitive, anywhere in the name.
  const found = await service.medications(doctor, `PARACETAMOL ${label}`);
  assert.deepEqual(
    found.map((m) => [m.id, m.strength]),
    [
      [strong.id, '1 g'],
      [created.id, '500 mg'],
    ],
  );
  assert.deepEqual(
    (await service.medications(doctor, label.slice(2, 7))).map((m) => m.id).sort(),
    [created.id, strong.id].sort(),
  );
  const edited = await service.updateMedication(admin(), strong.id, { strength: '1000 mg' });
  assert.equal(edited.strength, '1000 mg');
  await assert.rejects(service.updateMedication(admin(), strong.id, { strength: '500 mg' }), rejectsWith('CONFLICT'));
  const withdrawn = await service.deactivateMedication(admin(), strong.id);
  assert.equal(withdrawn.active, false);
  await assert.rejects(service.deactivateMedication(admin(), strong.id), rejectsWith('CONFLICT'));
  assert.deepEqual(
    (await service.medications(doctor, label)).map((m) => m.id),
    [created.id],
  );
  assert.deepEqual(
    (await service.medications(doctor, label, true)).map((m) => [m.id, m.active]).sort(),
    [
      [created.id, true],
      [strong.id, false],
    ].sort(),
  );
  assert.equal((await service.updateMedication(admin(), strong.id, { active: true })).active, true);
  await assert.rejects(service.updateMedication(admin(), randomUUID(), { name: 'x' }), rejectsWith('NOT_FOUND'));
  // Doctors look up, ADMIN manages; nobody else does either.
  await assert.rejects(
    service.createMedication(doctor, { name: 'X', form: 'Y', strength: 'Z' }),
    rejectsWith('FORBIDDEN'),
  );
  await assert.rejects(service.medications(as('SECRETARY', randomUUID()), label), rejectsWith('FORBIDDEN'));
  await assert.rejects(service.medications(as('PATIENT', randomUUID()), label), rejectsWith('FORBIDDEN'));
  assert.equal((await service.medications(admin(), label)).length, 2);
  const writes = (await audit()).filter((r) => r.entityId === strong.id);
  assert.deepEqual(
    writes.map((r) => [r.action, r.outcome, r.reason]),
    [
      ['createMedication', 'ALLOWED', null],
      ['updateMedication', 'ALLOWED', null],
      ['updateMedication', 'DENIED', 'CONFLICT'],
      ['deactivateMedication', 'ALLOWED', null],
      ['deactivateMedication', 'DENIED', 'CONFLICT'],
      ['updateMedication', 'ALLOWED', null],
    ],
  );
});

test("the consultation's doctor issues a prescription: lines from the catalogue, exams, the document's facts kept, an event", async () => {
  const p = await practice();
  const paracetamol = await medication();
  const issued = await service.issue(p.doctor(), p.consultationId, {
    lines: [{ medicationId: paracetamol.id, ...posology, instructions: 'Pendant les repas' }],
    exams: ['NFS, CRP'],
  });
  assert.equal(issued.consultationId, p.consultationId);
  assert.equal(issued.patientId, p.patientId);
  assert.equal(issued.practitionerId, p.doctorId);
  assert.deepEqual(issued.lines, [
    {
      medicationId: paracetamol.id,
      name: paracetamol.name,
      form: 'comprimé',
      strength: '500 mg',
      ...posology,
      instructions: 'Pendant les repas',
    },
  ]);
  assert.deepEqual(issued.exams, ['NFS, CRP']);
  assert.deepEqual(issued.facts.practice, {
    name: 'Cabinet du Parc',
    addressLines: ['12 rue de la Paix', '75002 Paris'],
    phone: '01 23 45 67 89',
    timeZone: 'Europe/Paris',
  });
  assert.deepEqual(issued.facts.practitioner, {
    name: 'Anne Martin',
    specialty: 'Pédiatrie',
    rpps: '10101010101',
    signature: 'Dr A. Martin',
  });
  assert.deepEqual(issued.facts.patient, { name: 'Hélène Durand', birthDate: null });
  const [event] = (await outbox<Record<string, string>>(topic)).filter((e) => e.data.prescriptionId === issued.id);
  assert.equal(event?.type, PRESCRIPTION_ISSUED);
  assert.deepEqual(event?.data, {
    prescriptionId: issued.id,
    consultationId: p.consultationId,
    cabinetId: p.cabinetId,
    patientId: p.patientId,
    practitionerId: p.doctorId,
    issuedAt: issued.issuedAt,
  });
  const record = (await audit()).find((r) => r.action === 'issuePrescription' && r.entityId === issued.id);
  assert.deepEqual([record?.outcome, record?.patientId, record?.userId], ['ALLOWED', p.patientId, p.doctorId]);

  // Later changes of the profile, the patient's file or the catalogue do not change what was issued.
  await p.apply('users', STAFF_PROFILE_CHANGED, {
    userId: p.doctorId,
    role: 'DOCTOR',
    cabinetId: p.cabinetId,
    name: 'Anne Martin-Durand',
    signature: 'Dr A. Martin-Durand',
  });
  // A birth date is taken from the events that carry it (PatientRegistered, PatientUpdated).
  await p.apply('patients', PATIENT_UPDATED, {
    patientId: p.patientId,
    cabinetId: p.cabinetId,
    displayName: 'Hélène Dupont',
    archived: false,
    birthDate: '1980-02-29',
  });
  await service.updateMedication(admin(), paracetamol.id, { name: `${paracetamol.name} (générique)` });
  const again = await service.byId(p.doctor(), issued.id);
  assert.deepEqual(again.facts, issued.facts);
  assert.deepEqual(again.lines, issued.lines);
  const document = await service.document(p.doctor(), again);
  assert.equal(document.contentType, 'application/pdf');
  const pdf = Buffer.from(document.base64, 'base64');
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.equal((await PDFDocument.load(pdf)).getAuthor(), 'Dr Anne Martin');
  // The next prescription shows the profile and patient file as they are now.
  const next = await service.issue(p.doctor(), p.consultationId, { exams: ['Radio thorax'] });
  assert.equal(next.facts.practitioner.signature, 'Dr A. Martin-Durand');
  assert.deepEqual(next.facts.patient, { name: 'Hélène Dupont', birthDate: '1980-02-29' });
});

test('invalid prescriptions are refused naming the field, and nothing is stored', async () => {
  const p = await practice();
  const active = await medication();
  const withdrawn = await medication();
  await service.deactivateMedication(admin(), withdrawn.id);
  const refused: [unknown, string][] = [
    [{ lines: [{ ...posology }] }, 'lines[0].medicationId'],
    [
      {
        lines: [
          { medicationId: active.id, ...posology },
          { medicationId: withdrawn.id, ...posology },
        ],
      },
      'lines[1].medicationId',
    ],
    [{ lines: [{ medicationId: randomUUID(), ...posology }] }, 'lines[0].medicationId'],
    [{ lines: [{ medicationId: active.id, ...posology, duration: '' }] }, 'lines[0].duration'],
    [{ exams: ['  '] }, 'exams[0]'],
    [{}, 'lines'],
  ];
  for (const [input, field] of refused) {
    await assert.rejects(
      service.issue(p.doctor(), p.consultationId, input as never),
      rejectsWith('BAD_USER_INPUT', field),
      field,
    );
  }
  assert.deepEqual(await service.ofConsultation(p.doctor(), p.consultationId), [], 'nothing stored');
  const denials = (await audit()).filter((r) => r.action === 'issuePrescription' && r.patientId === p.patientId);
  assert.equal(denials.length, refused.length);
  assert.ok(denials.every((r) => r.outcome === 'DENIED' && r.reason === 'BAD_USER_INPUT'));
});

test("only the consultation's own doctor prescribes; another practice's or an unknown consultation is NOT_FOUND", async () => {
  const p = await practice();
  const other = await practice();
  const drug = await medication();
  const input = { lines: [{ medicationId: drug.id, ...posology }] };
  await assert.rejects(
    service.issue(as('DOCTOR', p.cabinetId), p.consultationId, input),
    rejectsWith('FORBIDDEN', undefined, NOT_YOUR_CONSULTATION),
  );
  await assert.rejects(service.issue(other.doctor(), p.consultationId, input), rejectsWith('NOT_FOUND'));
  await assert.rejects(service.issue(p.doctor(), randomUUID(), input), rejectsWith('NOT_FOUND'));
  await assert.rejects(service.issue(p.doctor(), 'not-an-id', input), rejectsWith('NOT_FOUND'));
  for (const role of ['SECRETARY', 'PATIENT', 'ADMIN'] as const) {
    await assert.rejects(service.issue(as(role, p.cabinetId), p.consultationId, input), rejectsWith('FORBIDDEN'));
  }
  assert.deepEqual(await service.ofConsultation(p.doctor(), p.consultationId), []);
});

test('a prescription is read by the practice’s doctors and by its own patient only; every read is audited', async () => {
  const p = await practice();
  const other = await practice();
  const drug = await medication();
  const issued = await service.issue(p.doctor(), p.consultationId, { lines: [{ medicationId: drug.id, ...posology }] });
  const colleague = as('DOCTOR', p.cabinetId);
  assert.equal((await service.byId(colleague, issued.id)).id, issued.id);
  const patient = p.patient();
  assert.equal((await service.byId(patient, issued.id)).id, issued.id);
  assert.deepEqual(
    (await service.mine(patient)).map((x) => x.id),
    [issued.id],
  );
  assert.deepEqual(
    (await service.ofConsultation(patient, p.consultationId)).map((x) => x.id),
    [issued.id],
  );
  assert.equal((await service.document(patient, issued)).contentType, 'application/pdf');
  // Anyone else's prescription is indistinguishable from none.
  const stranger = as('PATIENT', p.cabinetId);
  await assert.rejects(service.byId(stranger, issued.id), rejectsWith('NOT_FOUND'));
  await assert.rejects(service.document(stranger, issued), rejectsWith('NOT_FOUND'));
  assert.deepEqual(await service.mine(stranger), []);
  await assert.rejects(service.ofConsultation(stranger, p.consultationId), rejectsWith('NOT_FOUND'));
  await assert.rejects(service.byId(other.doctor(), issued.id), rejectsWith('NOT_FOUND'));
  await assert.rejects(service.ofConsultation(other.doctor(), p.consultationId), rejectsWith('NOT_FOUND'));
  // Staff without clinical access never read it.
  await assert.rejects(service.byId(as('SECRETARY', p.cabinetId), issued.id), rejectsWith('FORBIDDEN'));
  await assert.rejects(
    service.ofConsultations(as('SECRETARY', p.cabinetId), [p.consultationId]),
    rejectsWith('FORBIDDEN'),
  );
  await assert.rejects(service.mine(colleague), rejectsWith('FORBIDDEN'));
  const batch = await service.ofConsultations(colleague, [p.consultationId, other.consultationId, 'nope']);
  assert.deepEqual(
    [...batch].map(([id, list]) => [id, list.map((x) => x.id)]),
    [
      [p.consultationId, [issued.id]],
      [other.consultationId, []],
      ['nope', []],
    ],
  );
  const reads = (await audit()).filter((r) => r.patientId === p.patientId && r.action !== 'issuePrescription');
  assert.deepEqual(
    reads.map((r) => [r.action, r.outcome, r.reason, r.role]),
    [
      ['medicalRecord:read', 'ALLOWED', null, 'DOCTOR'],
      ['medicalRecord:read', 'ALLOWED', null, 'PATIENT'],
      ['prescription:readOwn', 'ALLOWED', null, 'PATIENT'],
      ['medicalRecord:read', 'ALLOWED', null, 'PATIENT'],
      ['printPrescription', 'ALLOWED', null, 'PATIENT'],
      ['medicalRecord:read', 'DENIED', 'NOT_FOUND', 'PATIENT'],
      ['printPrescription', 'DENIED', 'NOT_FOUND', 'PATIENT'],
      ['medicalRecord:read', 'DENIED', 'NOT_FOUND', 'PATIENT'],
      ['medicalRecord:read', 'DENIED', 'NOT_FOUND', 'DOCTOR'],
      ['medicalRecord:read', 'DENIED', 'NOT_FOUND', 'DOCTOR'],
      ['medicalRecord:read', 'ALLOWED', null, 'DOCTOR'],
    ],
  );
});

test('the database refuses to change or delete an issued prescription', async () => {
  const p = await practice();
  const issued = await service.issue(p.doctor(), p.consultationId, { exams: ['ECG'] });
  const em = orm.em.fork();
  await assert.rejects(
    sql(em, 'update prescription set patient_id = ? where id = ?', [randomUUID(), issued.id]),
    /cannot be changed/,
  );
  await assert.rejects(
    sql(em, 'update prescription_exam set text = ? where prescription_id = ?', ['x', issued.id]),
    /cannot be changed/,
  );
  await assert.rejects(
    sql(em, 'delete from prescription_exam where prescription_id = ?', [issued.id]),
    /cannot be changed/,
  );
  assert.deepEqual((await service.byId(p.doctor(), issued.id)).exams, ['ECG']);
});
