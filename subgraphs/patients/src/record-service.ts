import { randomUUID } from 'node:crypto';
import { assertSameCabinet, requireCabinet } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import type { EntityManager, MikroORM } from '@cabinet/platform/database';
import { conflict, DomainError, notFound } from '@cabinet/platform/errors';
import { envelope, MEDICAL_RECORD_UPDATED, type MedicalRecordUpdated } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { withoutClinicalContent } from './allergy-service.ts';
import {
  type DocumentInput,
  type HabitInput,
  type HistoryInput,
  type RecordEntryFields,
  type RecordSection,
  type TreatmentInput,
  treatmentEnd,
  validateDocument,
  validateHabit,
  validateHistory,
  validateTreatment,
} from './domain/medical-record.ts';
import { Patient } from './persistence/patient.entity.ts';
import { RecordEntry, type RecordEntryRecord } from './persistence/record-entry.entity.ts';
import { authorizeRecordRead } from './record-access.ts';

/** An entry of the medical record as the API shows it; each GraphQL type picks its section's fields. */
export interface RecordEntryView {
  id: string;
  section: RecordSection;
  /** History: MEDICAL, SURGICAL or FAMILY; habit: its kind; document: its kind. */
  kind: string | null;
  condition: string | null;
  code: string | null;
  relation: string | null;
  occurred: string | null;
  medication: string | null;
  dosage: string | null;
  since: string | null;
  until: string | null;
  /** Treatment: not ended, or ending after today. */
  current: boolean;
  label: string | null;
  value: string | null;
  title: string | null;
  date: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  storageRef: string | null;
  recordedBy: string;
  recordedAt: string;
  removedAt: string | null;
}

/** The medical record of a patient (allergies apart), by section, oldest entry first. */
export interface MedicalRecordView {
  patientId: string;
  medicalHistory: RecordEntryView[];
  surgicalHistory: RecordEntryView[];
  familyHistory: RecordEntryView[];
  treatments: RecordEntryView[];
  habits: RecordEntryView[];
  documents: RecordEntryView[];
}

const kindOf = (entry: RecordEntryRecord): string | null => {
  if (entry.section.endsWith('_HISTORY')) return entry.section.replace('_HISTORY', '');
  if (entry.section === 'HABIT') return entry.habit ?? null;
  if (entry.section === 'DOCUMENT') return entry.documentKind ?? null;
  return null;
};

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

function view(entry: RecordEntryRecord, today: Date): RecordEntryView {
  const until = entry.until ?? null;
  return {
    id: entry.id,
    section: entry.section,
    kind: kindOf(entry),
    condition: entry.condition ?? null,
    code: entry.code ?? null,
    relation: entry.relation ?? null,
    occurred: entry.occurred ?? null,
    medication: entry.medication ?? null,
    dosage: entry.dosage ?? null,
    since: entry.since ?? null,
    until,
    current: entry.section === 'TREATMENT' && (until === null || until > isoDay(today)),
    label: entry.label ?? null,
    value: entry.value ?? null,
    title: entry.title ?? null,
    date: entry.documentDate ?? null,
    contentType: entry.contentType ?? null,
    sizeBytes: entry.sizeBytes == null ? null : Number(entry.sizeBytes),
    storageRef: entry.storageRef ?? null,
    recordedBy: entry.recordedBy,
    recordedAt: entry.recordedAt.toISOString(),
    removedAt: entry.removedAt?.toISOString() ?? null,
  };
}

const emptyRecord = (patientId: string): MedicalRecordView => ({
  patientId,
  medicalHistory: [],
  surgicalHistory: [],
  familyHistory: [],
  treatments: [],
  habits: [],
  documents: [],
});

const LIST_OF: Record<RecordSection, Exclude<keyof MedicalRecordView, 'patientId'>> = {
  MEDICAL_HISTORY: 'medicalHistory',
  SURGICAL_HISTORY: 'surgicalHistory',
  FAMILY_HISTORY: 'familyHistory',
  TREATMENT: 'treatments',
  HABIT: 'habits',
  DOCUMENT: 'documents',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const READ = 'medicalRecord:read';
const WRITE = 'medicalRecord:write';
const reasonOf = (error: unknown): string => (error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR');

export interface MedicalRecordServiceOptions {
  orm: MikroORM;
  log: Logger;
  topic: string;
  auditor: Auditor;
  /** Called after a commit that recorded events, so the relay sends them at once. */
  onEventsRecorded: () => void;
  /** Today; the system clock unless a test sets it. */
  clock?: () => Date;
}

/**
 * The medical record of a patient besides allergies (history, treatments, habits, documents):
 * clinical data, read and written by `medicalRecord:*` holders (doctors) of the patient's
 * practice, and read by the patient's own account (its linked file only, see
 * `authorizeRecordRead`). Every read and write is audited with the patient's id, every write announced
 * (MedicalRecordUpdated: section and entry, no content). Clinical text never goes into logs.
 */
export class MedicalRecordService {
  readonly #options: MedicalRecordServiceOptions;

  constructor(options: MedicalRecordServiceOptions) {
    this.#options = options;
  }

  addHistory(caller: Caller, patientId: string, input: HistoryInput): Promise<RecordEntryView> {
    return this.#add(caller, patientId, 'addHistoryEntry', (today, birthDate) =>
      validateHistory(input, today, birthDate),
    );
  }

  addTreatment(caller: Caller, patientId: string, input: TreatmentInput): Promise<RecordEntryView> {
    return this.#add(caller, patientId, 'addTreatment', (today, birthDate) =>
      validateTreatment(input, today, birthDate),
    );
  }

  addDocument(caller: Caller, patientId: string, input: DocumentInput): Promise<RecordEntryView> {
    return this.#add(caller, patientId, 'addDocument', (today, birthDate) => validateDocument(input, today, birthDate));
  }

  /**
   * Records a habit; a tobacco, alcohol or physical-activity habit replaces the patient's current
   * one of that kind (which stays stored, removed by the caller). OTHER habits add up.
   */
  recordHabit(caller: Caller, patientId: string, input: HabitInput): Promise<RecordEntryView> {
    return this.#add(
      caller,
      patientId,
      'recordHabit',
      () => validateHabit(input),
      async (em, fields, actor, now) => {
        if (fields.habit === 'OTHER') return;
        await em.nativeUpdate(
          RecordEntry,
          { patientId, section: 'HABIT', habit: fields.habit, removedAt: null },
          { removedAt: now, removedBy: actor.userId },
        );
      },
    );
  }

  /** Ends a current treatment (on `until`, today when omitted). CONFLICT when it already has an end. */
  async endTreatment(caller: Caller, id: string, until: string | null | undefined): Promise<RecordEntryView> {
    return this.#change(caller, id, 'endTreatment', async (em, entry) => {
      if (entry.section !== 'TREATMENT') throw notFound('Treatment', id);
      const end = treatmentEnd(until, entry.since ?? '1850-01-01', this.#now());
      const changed = await em.nativeUpdate(RecordEntry, { id, removedAt: null, until: null }, { until: end });
      if (changed === 0) throw conflict('This treatment has already ended or was removed');
      entry.until = end;
    });
  }

  /** Removes an entry from the record: it stays stored, marked removed by the caller. CONFLICT when already removed. */
  async remove(caller: Caller, id: string): Promise<RecordEntryView> {
    return this.#change(caller, id, 'removeRecordEntry', async (em, entry, actor) => {
      const removedAt = new Date();
      // Conditional, so of two concurrent removals exactly one succeeds.
      const removed = await em.nativeUpdate(
        RecordEntry,
        { id, removedAt: null },
        { removedAt, removedBy: actor.userId },
      );
      if (removed === 0) throw conflict('This entry has already been removed');
      entry.removedAt = removedAt;
      entry.removedBy = actor.userId;
    });
  }

  /**
   * The medical records of patients of the caller's practice in one query whatever their number;
   * each patient's record read is audited (with the patient's id, so it shows in their access
   * log). A patient without entries, or not of the practice, maps to an empty record.
   */
  async ofPatients(caller: Caller, patientIds: readonly string[]): Promise<Map<string, MedicalRecordView>> {
    const { auditor, orm } = this.#options;
    const ids = [...new Set(patientIds)].filter((id) => UUID.test(id));
    const targets = ids.map((patientId) => ({ action: READ, entity: 'MedicalRecord', entityId: patientId, patientId }));
    const actor = await authorizeRecordRead(auditor, caller, ids, targets, 'MedicalRecord');
    const cabinetId = await this.#practiceOf(caller, actor, targets);
    const records = new Map(ids.map((id) => [id, emptyRecord(id)]));
    if (ids.length === 0) return records;
    const rows = await orm.em
      .fork()
      .find(
        RecordEntry,
        { patientId: { $in: ids }, cabinetId, removedAt: null },
        { orderBy: { recordedAt: 'asc', id: 'asc' } },
      );
    const today = this.#now();
    for (const row of rows) records.get(row.patientId)?.[LIST_OF[row.section]].push(view(row, today));
    await auditor.recordAllNow(caller, targets);
    return records;
  }

  async #add(
    caller: Caller,
    patientId: string,
    action: string,
    validate: (today: Date, birthDate: string) => RecordEntryFields,
    before?: (em: EntityManager, fields: RecordEntryFields, actor: Identity, now: Date) => Promise<void>,
  ): Promise<RecordEntryView> {
    const { auditor, orm } = this.#options;
    const target = { action, entity: 'RecordEntry', patientId: UUID.test(patientId) ? patientId : null };
    const actor = await auditor.authorize(caller, WRITE, target);
    const cabinetId = await this.#practiceOf(caller, actor, [target]);
    const found = UUID.test(patientId) ? await orm.em.fork().findOne(Patient, { id: patientId, cabinetId }) : null;
    let birthDate: string;
    try {
      birthDate = assertSameCabinet(actor, 'Patient', patientId, found).birthDate;
    } catch (error) {
      await auditor.denied(caller, target, error);
      throw error;
    }
    const fields = validate(this.#now(), birthDate);
    let entry: RecordEntryRecord;
    try {
      entry = await orm.em.fork().transactional(async (em) => {
        const now = new Date();
        await before?.(em, fields, actor, now);
        const created = em.create(RecordEntry, {
          id: randomUUID(),
          patientId,
          cabinetId,
          ...fields,
          recordedBy: actor.userId,
          recordedAt: now,
          removedAt: null,
          removedBy: null,
        });
        this.#announce(em, caller, cabinetId, patientId, fields.section, created.id);
        auditor.record(em, caller, { ...target, entityId: created.id, patientId });
        return created;
      });
    } catch (error) {
      throw withoutClinicalContent(error);
    }
    this.#options.onEventsRecorded();
    this.#options.log.info(
      { requestId: caller.requestId, entryId: entry.id, section: entry.section, patientId, cabinetId },
      'medical record entry added',
    );
    return view(entry, this.#now());
  }

  /** A change of an existing entry of the caller's practice; another practice's entry is "not found". */
  async #change(
    caller: Caller,
    id: string,
    action: string,
    apply: (em: EntityManager, entry: RecordEntryRecord, actor: Identity) => Promise<void>,
  ): Promise<RecordEntryView> {
    const { auditor, orm } = this.#options;
    const target = { action, entity: 'RecordEntry', entityId: UUID.test(id) ? id : null };
    const actor = await auditor.authorize(caller, WRITE, target);
    const cabinetId = await this.#practiceOf(caller, actor, [target]);
    const found = UUID.test(id) ? await orm.em.fork().findOne(RecordEntry, { id }) : null;
    // Another practice's entry is "not found"; the denial still names its patient in the trail.
    const attempted = { ...target, patientId: found?.patientId ?? null };
    let entry: RecordEntryRecord;
    try {
      entry = assertSameCabinet(actor, 'RecordEntry', id, found);
    } catch (error) {
      await auditor.denied(caller, attempted, error);
      throw error;
    }
    try {
      await orm.em.fork().transactional(async (em) => {
        await apply(em, entry, actor);
        this.#announce(em, caller, cabinetId, entry.patientId, entry.section, id);
        auditor.record(em, caller, attempted);
      });
    } catch (error) {
      throw withoutClinicalContent(error);
    }
    this.#options.onEventsRecorded();
    this.#options.log.info(
      {
        requestId: caller.requestId,
        entryId: id,
        section: entry.section,
        patientId: entry.patientId,
        cabinetId,
        action,
      },
      'medical record entry changed',
    );
    return view(entry, this.#now());
  }

  #announce(
    em: EntityManager,
    caller: Caller,
    cabinetId: string,
    patientId: string,
    section: string,
    entryId: string,
  ): void {
    const data: MedicalRecordUpdated = { patientId, cabinetId, section, entryId };
    recordEvent(
      em,
      this.#options.topic,
      patientId,
      envelope('patients', MEDICAL_RECORD_UPDATED, cabinetId, caller, data),
    );
  }

  async #practiceOf(caller: Caller, actor: Identity, targets: AuditTarget[]): Promise<string> {
    try {
      return requireCabinet(actor);
    } catch (error) {
      await this.#options.auditor.recordAllNow(caller, targets, 'DENIED', reasonOf(error));
      throw error;
    }
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }
}
