import { randomUUID } from 'node:crypto';
import { assertSameCabinet, type Permission } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import {
  CONSULTATION_AMENDED,
  CONSULTATION_OPENED,
  CONSULTATION_SIGNED,
  type ConsultationAmended,
  type ConsultationFacts,
  type ConsultationOpened,
  type ConsultationSigned,
} from '@cabinet/platform/consultation-events';
import { type EntityManager, type MikroORM, sql } from '@cabinet/platform/database';
import { badUserInput, conflict, notFound } from '@cabinet/platform/errors';
import { envelope } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { eventually } from '@cabinet/platform/projection';
import { DriverException, LockMode } from '@mikro-orm/core';
import {
  applyChanges,
  assertAmendable,
  assertEditable,
  assertItsPractitioner,
  assertSignable,
  type ConsultationStatus,
  type ConsultationType,
  type Content,
  type ContentChanges,
  DRAFT_TAKES_NO_ADDENDUM,
  type RequestedExam,
  SIGNED_IS_FINAL,
  validateAddendum,
  validateType,
} from './domain/consultation.ts';
import type { CodeList, Diagnosis, DiagnosisCode } from './domain/diagnoses.ts';
import { bmi, hasVitals, type Vitals } from './domain/vitals.ts';
import { Consultation, type ConsultationRecord, KnownAppointment, KnownPatient } from './persistence/entities.ts';

/** That a consultation took place (who, when, status): staff of the practice. */
export const READ: Permission = 'consultation:read';
/** Opening, writing, signing, amending: doctors. */
export const WRITE: Permission = 'consultation:write';
/** What a consultation says: doctors. */
export const READ_CLINICAL: Permission = 'medicalRecord:read';

/** The refusal of a second consultation of one appointment. */
export const APPOINTMENT_HAS_CONSULTATION = 'This appointment already has a consultation';
/** The refusal of consulting a cancelled or missed appointment. */
export const APPOINTMENT_NOT_HELD = 'A cancelled or missed appointment cannot be consulted';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const uuidOrNull = (value: string | null | undefined): string | null =>
  value && UUID.test(value) ? value : null;

/** What anyone allowed to know of a consultation sees: no clinical content. */
export interface ConsultationView {
  id: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  appointmentId: string | null;
  type: ConsultationType;
  status: ConsultationStatus;
  openedAt: string;
  signedAt: string | null;
}
export interface AddendumView {
  id: string;
  text: string;
  authorId: string;
  at: string;
}
/** What a consultation says: its doctors only. */
export interface ClinicalView {
  reason: string | null;
  examination: string | null;
  vitals: (Vitals & { bmi: number | null }) | null;
  diagnoses: Diagnosis[];
  observations: string | null;
  requestedExams: RequestedExam[];
  addenda: AddendumView[];
}

export const consultationView = (record: ConsultationRecord): ConsultationView => ({
  id: record.id,
  cabinetId: record.cabinetId,
  patientId: record.patientId,
  practitionerId: record.practitionerId,
  appointmentId: record.appointmentId ?? null,
  type: record.type,
  status: record.status,
  openedAt: record.openedAt.toISOString(),
  signedAt: record.signedAt?.toISOString() ?? null,
});

const vitalsOf = (record: ConsultationRecord): Vitals => ({
  systolicMmHg: record.systolicMmHg ?? null,
  diastolicMmHg: record.diastolicMmHg ?? null,
  heartRateBpm: record.heartRateBpm ?? null,
  temperatureCelsius: record.temperatureCelsius ?? null,
  weightKg: record.weightKg ?? null,
  heightCm: record.heightCm ?? null,
  spo2Percent: record.spo2Percent ?? null,
});

const contentOf = (record: ConsultationRecord): Content => ({
  type: record.type,
  reason: record.reason ?? null,
  examination: record.examination ?? null,
  vitals: vitalsOf(record),
  diagnoses: record.diagnoses,
  observations: record.observations ?? null,
  requestedExams: record.requestedExams,
});

const clinicalView = (record: ConsultationRecord, addenda: AddendumView[]): ClinicalView => {
  const vitals = vitalsOf(record);
  return {
    reason: record.reason ?? null,
    examination: record.examination ?? null,
    vitals: hasVitals(vitals) ? { ...vitals, bmi: bmi(vitals.weightKg, vitals.heightCm) } : null,
    diagnoses: record.diagnoses,
    observations: record.observations ?? null,
    requestedExams: record.requestedExams,
    addenda,
  };
};

const facts = (record: ConsultationRecord): ConsultationFacts => ({
  consultationId: record.id,
  cabinetId: record.cabinetId,
  patientId: record.patientId,
  practitionerId: record.practitionerId,
  appointmentId: record.appointmentId ?? null,
  openedAt: record.openedAt.toISOString(),
});

/** Which refusal of the database a failed write was, if one of the rules it enforces. */
function refusalOf(error: unknown): Error | null {
  if (!(error instanceof DriverException)) return null;
  const { code } = error as DriverException & { code?: string };
  const message = String((error as Error).message);
  if (code === '55000') return conflict(message.includes('addendum') ? DRAFT_TAKES_NO_ADDENDUM : SIGNED_IS_FINAL);
  if (code === '23505' && message.includes('consultation_one_per_appointment'))
    return conflict(APPOINTMENT_HAS_CONSULTATION);
  return null;
}

export interface ConsultationsServiceOptions {
  orm: MikroORM;
  log: Logger;
  /** Full topic name (with any prefix) of consultation events. */
  topic: string;
  auditor: Auditor;
  /** Called after a commit that recorded events, so the relay sends them at once. */
  onEventsRecorded: () => void;
  /** The ICD-10 code list diagnoses are checked against. */
  codes: CodeList;
  /** Now; the system clock unless a test sets it. */
  clock?: () => Date;
  /**
   * How long opening a consultation waits for the projection to learn of an appointment or
   * patient it names before calling it unknown (their events may be a moment behind the caller).
   */
  projectionWaitMs?: number;
}

/**
 * Consultations of a practice. Every method checks the permission first (through the Auditor,
 * which records a refusal), then that the consultation is of the caller's practice (another
 * practice's is NOT_FOUND); only the doctor who opened a consultation changes it. Every write is
 * audited in its transaction with its event; every read is audited per patient, clinical content
 * under its own action. PostgreSQL, not only this code, keeps a signed consultation final.
 */
export class ConsultationsService {
  readonly #options: ConsultationsServiceOptions;

  constructor(options: ConsultationsServiceOptions) {
    this.#options = options;
  }

  /** Opens a draft from an appointment of the caller's practice; the caller is its practitioner. */
  async open(caller: Caller, appointmentId: string, type: string = 'CONSULTATION'): Promise<ConsultationView> {
    const target: AuditTarget = { action: 'openConsultation', entity: 'Consultation' };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const kind = validateType(type);
    const id = this.#uuid(appointmentId, 'appointmentId');
    const appointment = await eventually(
      () => this.#options.orm.em.fork().findOne(KnownAppointment, { appointmentId: id }),
      this.#options.projectionWaitMs,
    );
    if (!appointment || appointment.cabinetId !== actor.cabinetId)
      return this.#options.auditor.refuse(
        caller,
        { ...target, patientId: appointment?.patientId },
        notFound('Appointment', id),
      );
    if (['CANCELLED', 'NO_SHOW'].includes(appointment.status))
      throw badUserInput(APPOINTMENT_NOT_HELD, 'appointmentId');
    const { patientId, cabinetId } = appointment;
    return this.#create(caller, actor, target, { cabinetId, patientId, appointmentId: id, type: kind });
  }

  /** Opens a draft without an appointment, for a patient of the caller's practice. */
  async openWalkIn(caller: Caller, patientId: string, type: string = 'CONSULTATION'): Promise<ConsultationView> {
    const target: AuditTarget = { action: 'openWalkInConsultation', entity: 'Consultation' };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const kind = validateType(type);
    const id = this.#uuid(patientId, 'patientId');
    const cabinetId = await this.#patientOfPractice(caller, actor, id, { ...target, patientId: id });
    return this.#create(caller, actor, target, { cabinetId, patientId: id, appointmentId: null, type: kind });
  }

  async #create(
    caller: Caller,
    actor: Identity,
    target: AuditTarget,
    opening: { cabinetId: string; patientId: string; appointmentId: string | null; type: ConsultationType },
  ): Promise<ConsultationView> {
    const created = await this.#write(async (em) => {
      const now = this.#now();
      const record = em.create(Consultation, {
        id: randomUUID(),
        ...opening,
        practitionerId: actor.userId,
        status: 'DRAFT',
        reason: null,
        examination: null,
        diagnoses: [],
        observations: null,
        requestedExams: [],
        openedAt: now,
        signedAt: null,
        updatedAt: now,
      });
      // Inserted now, so a second consultation of the appointment is refused here, by the database.
      await em.flush();
      this.#options.auditor.record(em, caller, { ...target, entityId: record.id, patientId: record.patientId });
      this.#event<ConsultationOpened>(em, caller, CONSULTATION_OPENED, record, facts(record));
      return record;
    });
    this.#options.log.info(
      { requestId: caller.requestId, consultationId: created.id, appointmentId: created.appointmentId },
      'consultation opened',
    );
    return consultationView(created);
  }

  /** Changes a draft (its practitioner only); invalid content is refused whole. */
  update(caller: Caller, id: string, changes: ContentChanges): Promise<ConsultationView> {
    return this.#change(caller, id, 'updateConsultation', (record) => {
      assertEditable(record.status);
      const next = applyChanges(contentOf(record), changes, this.#options.codes);
      record.type = next.type;
      record.reason = next.reason;
      record.examination = next.examination;
      Object.assign(record, next.vitals);
      record.diagnoses = next.diagnoses;
      record.observations = next.observations;
      record.requestedExams = next.requestedExams;
    });
  }

  /** Signs a draft: final from then on. */
  sign(caller: Caller, id: string): Promise<ConsultationView> {
    return this.#change(caller, id, 'signConsultation', (record, em) => {
      assertSignable(record.status);
      record.status = 'SIGNED';
      record.signedAt = this.#now();
      this.#event<ConsultationSigned>(em, caller, CONSULTATION_SIGNED, record, {
        ...facts(record),
        signedAt: record.signedAt.toISOString(),
      });
    });
  }

  /** Adds a dated, attributed addendum to a signed consultation; the consultation itself does not change. */
  async addAddendum(caller: Caller, id: string, text: string): Promise<ConsultationView> {
    const target: AuditTarget = { action: 'addAddendum', entity: 'Consultation', entityId: uuidOrNull(id) };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const owned = await this.#own(this.#options.orm.em.fork(), caller, actor, id, target);
    await this.#itsPractitioner(caller, actor, owned, target);
    const body = validateAddendum(text);
    assertAmendable(owned.status);
    const addendumId = randomUUID();
    await this.#write(async (em) => {
      const at = this.#now();
      await sql(
        em,
        'insert into consultation_addendum (id, consultation_id, text, author_id, created_at) values (?, ?, ?, ?, ?)',
        [addendumId, owned.id, body, actor.userId, at],
      );
      this.#options.auditor.record(em, caller, { ...target, patientId: owned.patientId });
      this.#event<ConsultationAmended>(em, caller, CONSULTATION_AMENDED, owned, {
        ...facts(owned),
        addendumId,
        at: at.toISOString(),
      });
    });
    this.#options.log.info({ requestId: caller.requestId, consultationId: owned.id, addendumId }, 'addendum added');
    return consultationView(owned);
  }

  /**
   * A change of one consultation, in one transaction: permission, practice, its practitioner, the
   * row locked (concurrent changes take turns and each sees the other's result), the change, its
   * audit record. A refusal of the domain or of the database leaves nothing behind.
   */
  async #change(
    caller: Caller,
    id: string,
    action: string,
    change: (record: ConsultationRecord, em: EntityManager) => void,
  ): Promise<ConsultationView> {
    const target: AuditTarget = { action, entity: 'Consultation', entityId: uuidOrNull(id) };
    const actor = await this.#options.auditor.authorize(caller, WRITE, target);
    const owned = await this.#own(this.#options.orm.em.fork(), caller, actor, id, target);
    await this.#itsPractitioner(caller, actor, owned, target);
    const changed = await this.#write(async (em) => {
      const record = await em.findOneOrFail(Consultation, { id: owned.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      change(record, em);
      record.updatedAt = this.#now();
      this.#options.auditor.record(em, caller, { ...target, patientId: record.patientId });
      return record;
    });
    this.#options.log.info({ requestId: caller.requestId, consultationId: changed.id, status: changed.status }, action);
    return consultationView(changed);
  }

  /** One consultation of the caller's practice (that it took place); NOT_FOUND otherwise. */
  async byId(caller: Caller, id: string): Promise<ConsultationView> {
    const target: AuditTarget = { action: READ, entity: 'Consultation', entityId: uuidOrNull(id) };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    const record = await this.#own(this.#options.orm.em.fork(), caller, actor, id, target);
    await this.#options.auditor.recordNow(caller, { ...target, patientId: record.patientId });
    return consultationView(record);
  }

  /** Consultations by id (federation references), the caller's practice only, in one query. */
  async byIds(caller: Caller, ids: readonly string[]): Promise<Map<string, ConsultationView>> {
    return this.#read(
      caller,
      ids,
      (wanted) => ({ id: { $in: wanted } }),
      (view) => view.id,
    );
  }

  /** A patient's consultations at the caller's practice, most recent first; NOT_FOUND for another practice's patient. */
  async ofPatient(caller: Caller, patientId: string): Promise<ConsultationView[]> {
    const target: AuditTarget = { action: READ, entity: 'Consultation', patientId: uuidOrNull(patientId) };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    const id = this.#uuid(patientId, 'patientId');
    await this.#patientOfPractice(caller, actor, id, target);
    const found = await this.ofPatients(caller, [id]);
    return found.get(id) ?? [];
  }

  /** The consultations of several patients at the caller's practice, most recent first: one query for all. */
  async ofPatients(caller: Caller, patientIds: readonly string[]): Promise<Map<string, ConsultationView[]>> {
    const byPatient = new Map<string, ConsultationView[]>();
    const views = await this.#readAll(caller, patientIds, (wanted) => ({ patientId: { $in: wanted } }));
    for (const view of views) byPatient.set(view.patientId, [...(byPatient.get(view.patientId) ?? []), view]);
    return byPatient;
  }

  /** The consultation of each appointment that has one, at the caller's practice: one query for all. */
  async ofAppointments(caller: Caller, appointmentIds: readonly string[]): Promise<Map<string, ConsultationView>> {
    return this.#read(
      caller,
      appointmentIds,
      (wanted) => ({ appointmentId: { $in: wanted } }),
      (view) => view.appointmentId as string,
    );
  }

  async #read(
    caller: Caller,
    keys: readonly string[],
    where: (wanted: string[]) => object,
    keyOf: (view: ConsultationView) => string,
  ): Promise<Map<string, ConsultationView>> {
    const views = await this.#readAll(caller, keys, where);
    return new Map(views.map((view) => [keyOf(view), view]));
  }

  /** Reads by some ids in one query, at the caller's practice, audited per consultation (with its patient). */
  async #readAll(
    caller: Caller,
    keys: readonly string[],
    where: (wanted: string[]) => object,
  ): Promise<ConsultationView[]> {
    const target: AuditTarget = { action: READ, entity: 'Consultation' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    const wanted = keys.filter((key) => uuidOrNull(key));
    if (!actor.cabinetId || wanted.length === 0) return [];
    const records = await this.#options.orm.em
      .fork()
      .find(
        Consultation,
        { cabinetId: actor.cabinetId, ...where(wanted) },
        { orderBy: { openedAt: 'desc', id: 'desc' } },
      );
    await this.#options.auditor.recordAllNow(
      caller,
      records.map((record) => ({ ...target, entityId: record.id, patientId: record.patientId })),
    );
    return records.map(consultationView);
  }

  /**
   * What consultations say, for doctors of their practice: one query for the consultations, one
   * for their addenda, one audit record per consultation (naming its patient) whatever the number.
   */
  async clinical(caller: Caller, ids: readonly string[]): Promise<Map<string, ClinicalView>> {
    const target: AuditTarget = { action: READ_CLINICAL, entity: 'Consultation' };
    const actor = await this.#options.auditor.authorize(caller, READ_CLINICAL, target);
    const wanted = ids.filter((id) => uuidOrNull(id));
    if (!actor.cabinetId || wanted.length === 0) return new Map();
    const em = this.#options.orm.em.fork();
    const records = await em.find(Consultation, { cabinetId: actor.cabinetId, id: { $in: wanted } });
    const addenda = new Map<string, AddendumView[]>();
    if (records.length > 0) {
      const rows = await sql<{
        id: string;
        consultation_id: string;
        text: string;
        author_id: string;
        created_at: Date;
      }>(
        em,
        `select id, consultation_id, text, author_id, created_at from consultation_addendum
          where consultation_id in (?) order by position`,
        [records.map((record) => record.id)],
      );
      for (const row of rows) {
        const view = {
          id: row.id,
          text: row.text,
          authorId: row.author_id,
          at: new Date(row.created_at).toISOString(),
        };
        addenda.set(row.consultation_id, [...(addenda.get(row.consultation_id) ?? []), view]);
      }
    }
    await this.#options.auditor.recordAllNow(
      caller,
      records.map((record) => ({ ...target, entityId: record.id, patientId: record.patientId })),
    );
    return new Map(records.map((record) => [record.id, clinicalView(record, addenda.get(record.id) ?? [])]));
  }

  /** ICD-10 codes by code or label, for recording a diagnosis. */
  async diagnosisCodes(caller: Caller, search: string, limit = 20): Promise<DiagnosisCode[]> {
    await this.#options.auditor.authorize(caller, WRITE, { action: 'diagnosisCodes', entity: 'DiagnosisCode' });
    return this.#options.codes.search(search, limit);
  }

  /** Runs a write transaction; the database's refusals become readable errors. */
  async #write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.#options.orm.em.fork().transactional(work);
    } catch (error) {
      throw refusalOf(error) ?? error;
    }
    this.#options.onEventsRecorded();
    return result;
  }

  #event<T>(em: EntityManager, caller: Caller | null, type: string, record: ConsultationRecord, data: T): void {
    recordEvent(em, this.#options.topic, record.id, envelope('consultations', type, record.cabinetId, caller, data));
  }

  /** A consultation of the caller's practice; NOT_FOUND otherwise (audited, naming its patient). */
  async #own(
    em: EntityManager,
    caller: Caller,
    actor: Identity,
    id: string,
    target: AuditTarget,
  ): Promise<ConsultationRecord> {
    const found = uuidOrNull(id) ? await em.findOne(Consultation, { id }) : null;
    try {
      return assertSameCabinet(actor, 'Consultation', id, found);
    } catch (error) {
      await this.#options.auditor.denied(caller, { ...target, patientId: found?.patientId ?? null }, error);
      throw error;
    }
  }

  /** Only the doctor who opened a consultation changes it: FORBIDDEN for anyone else, audited. */
  async #itsPractitioner(
    caller: Caller,
    actor: Identity,
    record: ConsultationRecord,
    target: AuditTarget,
  ): Promise<void> {
    try {
      assertItsPractitioner(record, actor.userId);
    } catch (error) {
      await this.#options.auditor.refuse(caller, { ...target, patientId: record.patientId }, error as Error);
    }
  }

  /** The caller's practice when the patient is one of its patients (patients events); NOT_FOUND otherwise. */
  async #patientOfPractice(caller: Caller, actor: Identity, patientId: string, target: AuditTarget): Promise<string> {
    const known = await eventually(
      () => this.#options.orm.em.fork().findOne(KnownPatient, { patientId }),
      this.#options.projectionWaitMs,
    );
    if (!known || !actor.cabinetId || known.cabinetId !== actor.cabinetId)
      return this.#options.auditor.refuse(caller, target, notFound('Patient', patientId));
    return actor.cabinetId;
  }

  #uuid(value: string, field: string): string {
    if (!uuidOrNull(value)) throw badUserInput(`${field} must be a UUID`, field);
    return value;
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }
}
