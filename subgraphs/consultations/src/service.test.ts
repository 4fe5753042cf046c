// Integration: the consultations service on the real PostgreSQL test database. Every test works
// in a practice, with patients and appointments of its own (random ids), so runs side by side
// never see each other's consultations.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { APPOINTMENT_BOOKED, APPOINTMENT_CANCELLED } from '@cabinet/platform/appointment-events';
import { Auditor } from '@cabinet/platform/audit';
import { CONSULTATION_AMENDED, CONSULTATION_OPENED, CONSULTATION_SIGNED } from '@cabinet/platform/consultation-events';
import { type MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { DomainError, type ErrorCode } from '@cabinet/platform/errors';
import { ACCESS_AUDITED, type AccessAudited, envelope, PATIENT_REGISTERED } from '@cabinet/platform/events';
import type { Caller, Role } from '@cabinet/platform/identity';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { execute, parse } from 'graphql';
import { DRAFT_TAKES_NO_ADDENDUM, NOT_ITS_PRACTITIONER, SIGNED_IS_FINAL } from './domain/consultation.ts';
import { ENTITIES } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { Projection } from './projection.ts';
import { createResolvers } from './resolvers.ts';
import { loadCodeList, typeDefs } from './server.ts';
import { APPOINTMENT_HAS_CONSULTATION, APPOINTMENT_NOT_HELD, ConsultationsService } from './service.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const DATABASE_URL = `${POSTGRES_URL}/${process.env.DB_PREFIX ?? 'cabinet'}_test_consultations`;
const log = createLogger('test', 'silent');

let orm: MikroORM;
let service: ConsultationsService;
let projection: Projection;
/** Every SQL statement of this file's ORM (nothing else runs on it: no relay). */
let statements = 0;
const topic = `test-${randomUUID()}.consultations`;
const auditTopic = `test-${randomUUID()}.audit`;

before(async () => {
  orm = await openDatabase({
    url: DATABASE_URL,
    entities: [...ENTITIES, OutboxEvent],
    migrations,
    onQuery: () => {
      statements++;
    },
  });
  // Audit records and events go to the outbox under topics of this run; no relay publishes them.
  const auditor = new Auditor({ service: 'consultations', orm, topic: auditTopic, onRecorded: () => {} });
  service = new ConsultationsService({
    orm,
    log,
    topic,
    auditor,
    onEventsRecorded: () => {},
    codes: loadCodeList(),
    projectionWaitMs: 200,
  });
  projection = new Projection(orm, log);
});
after(async () => {
  await orm?.close(true);
});

const as = (role: Role, cabinetId: string | null, userId: string = randomUUID()): Caller => ({
  requestId: randomUUID(),
  clientAddress: '2001:db8::1',
  identity: { userId, role, cabinetId, patientId: null },
});

async function refused<T>(promise: Promise<T>, code: ErrorCode, field?: string): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, code, error.message);
    if (field) assert.equal(error.details.field, field, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** A practice with a doctor, a second doctor, a secretary, a patient and a booked appointment, as the events announced them. */
async function practice() {
  const cabinetId = randomUUID();
  const patientId = randomUUID();
  const doctor = as('DOCTOR', cabinetId);
  await projection.apply(
    envelope('patients', PATIENT_REGISTERED, cabinetId, null, { patientId, cabinetId, displayName: 'P' }),
  );
  const appointmentId = await book(cabinetId, patientId, doctor.identity?.userId as string);
  return {
    cabinetId,
    patientId,
    appointmentId,
    doctor,
    colleague: as('DOCTOR', cabinetId),
    secretary: as('SECRETARY', cabinetId),
  };
}

async function book(cabinetId: string, patientId: string, practitionerId: string): Promise<string> {
  const appointmentId = randomUUID();
  await projection.apply(
    envelope('appointments', APPOINTMENT_BOOKED, cabinetId, null, {
      appointmentId,
      cabinetId,
      patientId,
      practitionerId,
      appointmentTypeId: randomUUID(),
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 900_000).toISOString(),
      timeZone: 'Europe/Paris',
      status: 'BOOKED',
      overbooked: false,
    }),
  );
  return appointmentId;
}

const eventsOf = (key: string) =>
  sql<{ type: string; payload: { data: Record<string, unknown> } }>(
    orm.em.fork(),
    'select type, payload from outbox_event where topic = ? and key = ? order by occurred_at, id',
    [topic, key],
  );
const auditsOf = async (entityId: string): Promise<AccessAudited[]> =>
  (
    await sql<{ payload: { data: AccessAudited } }>(
      orm.em.fork(),
      `select payload from outbox_event where topic = ? and type = ? and payload->'data'->>'entityId' = ? order by occurred_at, id`,
      [auditTopic, ACCESS_AUDITED, entityId],
    )
  ).map((row) => row.payload.data);
const row = async (id: string) =>
  (await sql<Record<string, unknown>>(orm.em.fork(), 'select * from consultation where id = ?', [id]))[0];

test('a doctor opens a consultation from an appointment of the practice: a draft of theirs, once per appointment', async () => {
  const p = await practice();
  const opened = await service.open(p.doctor, p.appointmentId);
  assert.equal(opened.status, 'DRAFT');
  assert.equal(opened.type, 'CONSULTATION');
  assert.equal(opened.practitionerId, p.doctor.identity?.userId);
  assert.equal(opened.patientId, p.patientId);
  assert.equal(opened.appointmentId, p.appointmentId);
  assert.equal(opened.signedAt, null);
  const events = await eventsOf(opened.id);
  assert.deepEqual(
    events.map((event) => event.type),
    [CONSULTATION_OPENED],
  );
  assert.equal(events[0]?.payload.data.appointmentId, p.appointmentId);
  const error = await refused(service.open(p.colleague, p.appointmentId), 'CONFLICT');
  assert.equal(error.message, APPOINTMENT_HAS_CONSULTATION);
  // Another practice's doctor, an unknown appointment, a secretary.
  await refused(service.open(as('DOCTOR', randomUUID()), p.appointmentId), 'NOT_FOUND');
  await refused(service.open(p.doctor, randomUUID()), 'NOT_FOUND');
  await refused(service.open(p.secretary, p.appointmentId), 'FORBIDDEN');
  await refused(service.open(p.doctor, 'nope'), 'BAD_USER_INPUT', 'appointmentId');
});

test('a cancelled appointment cannot be consulted', async () => {
  const p = await practice();
  await projection.apply(
    envelope('appointments', APPOINTMENT_CANCELLED, p.cabinetId, null, {
      appointmentId: p.appointmentId,
      cabinetId: p.cabinetId,
      patientId: p.patientId,
      practitionerId: p.doctor.identity?.userId,
      startsAt: new Date().toISOString(),
      endsAt: new Date().toISOString(),
      timeZone: 'Europe/Paris',
    }),
  );
  const error = await refused(service.open(p.doctor, p.appointmentId), 'BAD_USER_INPUT', 'appointmentId');
  assert.equal(error.message, APPOINTMENT_NOT_HELD);
});

test('a walk-in consultation, for a patient of the practice only', async () => {
  const p = await practice();
  const opened = await service.openWalkIn(p.doctor, p.patientId, 'EMERGENCY');
  assert.equal(opened.appointmentId, null);
  assert.equal(opened.type, 'EMERGENCY');
  await refused(service.openWalkIn(as('DOCTOR', randomUUID()), p.patientId), 'NOT_FOUND');
  await refused(service.openWalkIn(p.doctor, randomUUID()), 'NOT_FOUND');
  await refused(service.openWalkIn(p.doctor, p.patientId, 'SURGERY'), 'BAD_USER_INPUT', 'type');
});

test('vitals, coded diagnoses and exams are recorded; BMI is computed; invalid content stores nothing', async () => {
  const p = await practice();
  const { id } = await service.open(p.doctor, p.appointmentId);
  await service.update(p.doctor, id, {
    reason: 'Fièvre et toux',
    examination: 'Gorge rouge',
    vitals: { systolicMmHg: 125, diastolicMmHg: 80, temperatureCelsius: 38.4, weightKg: 70, heightCm: 175 },
    diagnoses: [{ code: 'J06.9', note: 'virale probable' }],
    requestedExams: [{ kind: 'BIOLOGY', description: 'CRP' }],
  });
  await service.update(p.doctor, id, { vitals: { spo2Percent: 97 }, observations: 'Repos' });
  const content = (await service.clinical(p.doctor, [id])).get(id);
  assert.deepEqual(content, {
    reason: 'Fièvre et toux',
    examination: 'Gorge rouge',
    vitals: {
      systolicMmHg: 125,
      diastolicMmHg: 80,
      heartRateBpm: null,
      temperatureCelsius: 38.4,
      weightKg: 70,
      heightCm: 175,
      spo2Percent: 97,
      bmi: 22.9,
    },
    diagnoses: [{ code: 'J06.9', label: 'Acute upper respiratory infection, unspecified', note: 'virale probable' }],
    observations: 'Repos',
    requestedExams: [{ kind: 'BIOLOGY', description: 'CRP' }],
    addenda: [],
  });
  const before = await row(id);
  await refused(
    service.update(p.doctor, id, { reason: 'changed', vitals: { temperatureCelsius: 80 } }),
    'BAD_USER_INPUT',
    'vitals.temperatureCelsius',
  );
  await refused(
    service.update(p.doctor, id, { reason: 'changed', diagnoses: [{ code: 'X00.000' }] }),
    'BAD_USER_INPUT',
    'diagnoses[0].code',
  );
  assert.deepEqual(await row(id), before, 'nothing stored');
});

test('the database keeps vitals in range whatever writes them', async () => {
  const p = await practice();
  const { id } = await service.open(p.doctor, p.appointmentId);
  await assert.rejects(
    sql(orm.em.fork(), 'update consultation set temperature_celsius = 80 where id = ?', [id]),
    /check constraint/,
  );
});

test('only the practitioner who opened it edits it; colleagues read it; a secretary sees only that it took place', async () => {
  const p = await practice();
  const { id } = await service.open(p.doctor, p.appointmentId);
  await service.update(p.doctor, id, { reason: 'Contrôle' });
  const error = await refused(service.update(p.colleague, id, { reason: 'autre' }), 'FORBIDDEN');
  assert.equal(error.message, NOT_ITS_PRACTITIONER);
  await refused(service.sign(p.colleague, id), 'FORBIDDEN');
  assert.equal((await service.clinical(p.colleague, [id])).get(id)?.reason, 'Contrôle');
  // The secretary: metadata, never content.
  const seen = await service.byId(p.secretary, id);
  assert.equal(seen.status, 'DRAFT');
  assert.equal('reason' in seen, false);
  await refused(service.clinical(p.secretary, [id]), 'FORBIDDEN');
  await refused(service.update(p.secretary, id, { reason: 'x' }), 'FORBIDDEN');
  // Another practice: as if it did not exist.
  const outsider = as('DOCTOR', randomUUID());
  await refused(service.byId(outsider, id), 'NOT_FOUND');
  await refused(service.update(outsider, id, { reason: 'x' }), 'NOT_FOUND');
  assert.equal((await service.clinical(outsider, [id])).size, 0);
  // Every read is audited with its patient; clinical reads under their own action.
  const audits = await auditsOf(id);
  assert.ok(
    audits.some((a) => a.action === 'medicalRecord:read' && a.patientId === p.patientId && a.role === 'DOCTOR'),
  );
  assert.ok(
    audits.some((a) => a.action === 'consultation:read' && a.patientId === p.patientId && a.role === 'SECRETARY'),
  );
  assert.ok(
    audits.some((a) => a.action === 'updateConsultation' && a.outcome === 'DENIED' && a.reason === 'FORBIDDEN'),
  );
});

test('signed, a consultation is final: edits refused (domain and database), addenda kept in order with author and time', async () => {
  const p = await practice();
  const { id } = await service.open(p.doctor, p.appointmentId);
  await service.update(p.doctor, id, { reason: 'Angine', diagnoses: [{ code: 'J02.9' }] });
  const draftAddendum = await refused(service.addAddendum(p.doctor, id, 'trop tôt'), 'CONFLICT');
  assert.equal(draftAddendum.message, DRAFT_TAKES_NO_ADDENDUM);
  const signed = await service.sign(p.doctor, id);
  assert.equal(signed.status, 'SIGNED');
  assert.ok(signed.signedAt);
  const edit = await refused(service.update(p.doctor, id, { reason: 'Autre' }), 'CONFLICT');
  assert.equal(edit.message, SIGNED_IS_FINAL);
  await refused(service.sign(p.doctor, id), 'CONFLICT');
  // The database refuses it too, whoever writes.
  await assert.rejects(
    sql(orm.em.fork(), "update consultation set reason = 'Autre' where id = ?", [id]),
    /signed and can no longer be changed/,
  );
  await assert.rejects(sql(orm.em.fork(), 'delete from consultation where id = ?', [id]), /signed/);
  assert.equal((await row(id))?.reason, 'Angine');

  await service.addAddendum(p.doctor, id, 'Résultat du prélèvement : streptocoque A négatif.');
  await service.addAddendum(p.doctor, id, 'Appel du patient : amélioration.');
  await refused(service.addAddendum(p.colleague, id, 'x'), 'FORBIDDEN');
  await refused(service.addAddendum(p.doctor, id, '  '), 'BAD_USER_INPUT', 'text');
  const addenda = (await service.clinical(p.doctor, [id])).get(id)?.addenda ?? [];
  assert.deepEqual(
    addenda.map((a) => [a.text, a.authorId]),
    [
      ['Résultat du prélèvement : streptocoque A négatif.', p.doctor.identity?.userId],
      ['Appel du patient : amélioration.', p.doctor.identity?.userId],
    ],
  );
  assert.ok(addenda.every((a) => !Number.isNaN(Date.parse(a.at))));
  await assert.rejects(
    sql(orm.em.fork(), "update consultation_addendum set text = 'x' where consultation_id = ?", [id]),
    /never changed/,
  );
  const events = await eventsOf(id);
  assert.deepEqual(
    events.map((event) => event.type),
    [CONSULTATION_OPENED, CONSULTATION_SIGNED, CONSULTATION_AMENDED, CONSULTATION_AMENDED],
  );
  assert.equal(events[1]?.payload.data.signedAt, signed.signedAt);
  assert.equal(events[1]?.payload.data.appointmentId, p.appointmentId);
  assert.equal(JSON.stringify(events).includes('Angine'), false, 'no clinical content in events');
});

test('a draft cannot take an addendum in the database either', async () => {
  const p = await practice();
  const { id } = await service.open(p.doctor, p.appointmentId);
  await assert.rejects(
    sql(
      orm.em.fork(),
      "insert into consultation_addendum (id, consultation_id, text, author_id) values (?, ?, 'x', ?)",
      [randomUUID(), id, randomUUID()],
    ),
    /not signed/,
  );
});

test("patients' and appointments' consultations, batched; another practice's patient is NOT_FOUND", async () => {
  const p = await practice();
  const first = await service.open(p.doctor, p.appointmentId);
  const second = await service.openWalkIn(p.doctor, p.patientId, 'FOLLOW_UP');
  const otherPatient = randomUUID();
  await projection.apply(
    envelope('patients', PATIENT_REGISTERED, p.cabinetId, null, {
      patientId: otherPatient,
      cabinetId: p.cabinetId,
      displayName: 'Q',
    }),
  );
  const third = await service.openWalkIn(p.doctor, otherPatient);
  const byPatient = await service.ofPatients(p.secretary, [p.patientId, otherPatient, randomUUID(), 'bad']);
  assert.deepEqual(
    byPatient.get(p.patientId)?.map((c) => c.id),
    [second.id, first.id],
  );
  assert.deepEqual(
    byPatient.get(otherPatient)?.map((c) => c.id),
    [third.id],
  );
  assert.deepEqual(
    (await service.ofPatient(p.doctor, p.patientId)).map((c) => c.id),
    [second.id, first.id],
  );
  await refused(service.ofPatient(as('DOCTOR', randomUUID()), p.patientId), 'NOT_FOUND');
  const outsider = await service.ofPatients(as('DOCTOR', randomUUID()), [p.patientId]);
  assert.equal(outsider.size, 0);
  const byAppointment = await service.ofAppointments(p.secretary, [p.appointmentId, randomUUID()]);
  assert.equal(byAppointment.get(p.appointmentId)?.id, first.id);
  assert.equal(byAppointment.size, 1);
});

test('diagnosis codes are looked up by doctors', async () => {
  const doctor = as('DOCTOR', randomUUID());
  const found = await service.diagnosisCodes(doctor, 'hypertension', 5);
  assert.ok(found.some((code) => code.code === 'I10'));
  await refused(service.diagnosisCodes(as('SECRETARY', randomUUID()), 'hypertension'), 'FORBIDDEN');
});

test('through GraphQL: the consultations of N patients, with their content, cost the same statements for 2 or 8 patients', async () => {
  const p = await practice();
  const patients = [p.patientId];
  for (let i = 1; i < 8; i++) {
    const patientId = randomUUID();
    await projection.apply(
      envelope('patients', PATIENT_REGISTERED, p.cabinetId, null, {
        patientId,
        cabinetId: p.cabinetId,
        displayName: 'N',
      }),
    );
    patients.push(patientId);
  }
  for (const patientId of patients) {
    const { id } = await service.openWalkIn(p.doctor, patientId);
    await service.update(p.doctor, id, { reason: `Motif ${patientId}`, diagnoses: [{ code: 'I10' }] });
  }
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(service) }]);
  const document = parse(`query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Patient { id consultations { id status patient { id } practitioner { userId } reason diagnoses { code } addenda { text } } }
    }
  }`);
  const run = async (ids: string[]) => {
    const before = statements;
    const result = await execute({
      schema,
      document,
      variableValues: { representations: ids.map((id) => ({ __typename: 'Patient', id })) },
      contextValue: { caller: p.doctor, log },
    });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return {
      data: JSON.parse(JSON.stringify(result.data)) as {
        _entities: { id: string; consultations: Record<string, any>[] }[];
      },
      cost: statements - before,
    };
  };
  const two = await run(patients.slice(0, 2));
  const eight = await run(patients);
  eight.data._entities.forEach((entity, index) => {
    assert.equal(entity.id, patients[index]);
    assert.equal(entity.consultations.length, 1);
    assert.equal(entity.consultations[0]?.reason, `Motif ${patients[index]}`);
    assert.deepEqual(entity.consultations[0]?.diagnoses, [{ code: 'I10' }]);
    assert.deepEqual(entity.consultations[0]?.practitioner, { userId: p.doctor.identity?.userId });
  });
  // The consultations, their audit records; their content, its addenda, its audit records: one statement each.
  assert.equal(two.cost, 5);
  assert.equal(eight.cost, 5);
});
