import { randomUUID } from 'node:crypto';
import { assertSameCabinet, requireCabinet } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import type { EntityManager, MikroORM } from '@cabinet/platform/database';
import { conflict, DomainError } from '@cabinet/platform/errors';
import { envelope, MEDICAL_RECORD_UPDATED, type MedicalRecordUpdated } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  type AllergyInput,
  type AllergySeverity,
  alreadyRecorded,
  assertNotRecorded,
  byClinicalPriority,
  validateAllergy,
} from './domain/allergy.ts';
import { Allergy, type AllergyRecord } from './persistence/allergy.entity.ts';
import { Patient } from './persistence/patient.entity.ts';
import { authorizeRecordRead } from './record-access.ts';

/** An allergy as the API shows it. */
export interface AllergyView {
  id: string;
  substance: string;
  reaction: string | null;
  severity: AllergySeverity;
  notedOn: string;
  recordedBy: string;
  recordedAt: string;
}

const view = (allergy: AllergyRecord): AllergyView => ({
  id: allergy.id,
  substance: allergy.substance,
  reaction: allergy.reaction ?? null,
  severity: allergy.severity,
  notedOn: allergy.notedOn,
  recordedBy: allergy.recordedBy,
  recordedAt: allergy.recordedAt.toISOString(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const READ = 'medicalRecord:read';

const reasonOf = (error: unknown): string => (error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR');

/**
 * A database error without its message and details: those hold the SQL parameters (the substance,
 * the reaction), and an unexpected error is logged. Its class, SQLSTATE and constraint remain.
 */
export function withoutClinicalContent(error: unknown): unknown {
  if (!(error instanceof DriverException)) return error;
  const { code, constraint } = error as DriverException & { constraint?: string };
  return Object.assign(new Error(`${error.name} while writing an allergy`), { code, constraint });
}

export interface AllergiesServiceOptions {
  orm: MikroORM;
  log: Logger;
  auditor: Auditor;
  /** Where MedicalRecordUpdated (section ALLERGY) is announced; not announced when omitted. */
  topic?: string;
  /** Called after a commit that recorded events (audit records), so the relay sends them at once. */
  onEventsRecorded: () => void;
  /** Today, for `notedOn`; the system clock unless a test sets it. */
  clock?: () => Date;
}

/**
 * The allergies of a patient's medical record: clinical data, so only `medicalRecord:*` holders
 * (doctors) of the patient's practice read or write them (and the patient's own account reads
 * its own, see `authorizeRecordRead`), and every read and write is audited.
 * Substances and reactions never go into logs; ids do.
 */
export class AllergiesService {
  readonly #options: AllergiesServiceOptions;

  constructor(options: AllergiesServiceOptions) {
    this.#options = options;
  }

  /** Records an allergy of a patient of the caller's practice. */
  async record(caller: Caller, patientId: string, input: AllergyInput): Promise<AllergyView> {
    const { auditor, orm } = this.#options;
    const target = { action: 'recordAllergy', entity: 'Allergy', patientId: UUID.test(patientId) ? patientId : null };
    const actor = await auditor.authorize(caller, 'medicalRecord:write', target);
    const cabinetId = await this.#practiceOf(caller, actor, [target]);
    const found = UUID.test(patientId) ? await orm.em.fork().findOne(Patient, { id: patientId, cabinetId }) : null;
    let birthDate: string;
    try {
      birthDate = assertSameCabinet(actor, 'Patient', patientId, found).birthDate;
    } catch (error) {
      await auditor.denied(caller, target, error);
      throw error;
    }
    const entry = validateAllergy(input, this.#now(), birthDate);
    let allergy: AllergyRecord;
    try {
      allergy = await orm.em.fork().transactional(async (em) => {
        // The unique index decides between concurrent writers; this check gives the usual case its message.
        assertNotRecorded(await em.find(Allergy, { patientId, removedAt: null }), entry);
        const created = em.create(Allergy, {
          id: randomUUID(),
          patientId,
          cabinetId,
          ...entry,
          recordedBy: actor.userId,
          recordedAt: new Date(),
          removedAt: null,
          removedBy: null,
        });
        this.#announce(em, caller, cabinetId, patientId, created.id);
        auditor.record(em, caller, { ...target, entityId: created.id, patientId });
        return created;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw alreadyRecorded(entry.substance);
      throw withoutClinicalContent(error);
    }
    this.#options.onEventsRecorded();
    this.#options.log.info(
      { requestId: caller.requestId, allergyId: allergy.id, patientId, cabinetId },
      'allergy recorded',
    );
    return view(allergy);
  }

  /** Removes an allergy from the record (it stays stored, marked removed, by whom and when). */
  async remove(caller: Caller, id: string): Promise<AllergyView> {
    const { auditor, orm } = this.#options;
    const target = { action: 'removeAllergy', entity: 'Allergy', entityId: UUID.test(id) ? id : null };
    const actor = await auditor.authorize(caller, 'medicalRecord:write', target);
    const cabinetId = await this.#practiceOf(caller, actor, [target]);
    const found = UUID.test(id) ? await orm.em.fork().findOne(Allergy, { id }) : null;
    // Another practice's allergy is "not found"; the denial still names its patient in the trail.
    const attempted = { ...target, patientId: found?.patientId ?? null };
    let allergy: AllergyRecord;
    try {
      allergy = assertSameCabinet(actor, 'Allergy', id, found);
    } catch (error) {
      await auditor.denied(caller, attempted, error);
      throw error;
    }
    const removedAt = new Date();
    await orm.em.fork().transactional(async (em) => {
      // Conditional, so of two concurrent removals exactly one succeeds.
      const removed = await em.nativeUpdate(
        Allergy,
        { id, cabinetId, removedAt: null },
        { removedAt, removedBy: actor.userId },
      );
      if (removed === 0) throw conflict('This allergy has already been removed');
      this.#announce(em, caller, cabinetId, allergy.patientId, id);
      auditor.record(em, caller, attempted);
    });
    this.#options.onEventsRecorded();
    this.#options.log.info(
      { requestId: caller.requestId, allergyId: id, patientId: allergy.patientId, cabinetId },
      'allergy removed',
    );
    return view(allergy);
  }

  /**
   * The active allergies of patients of the caller's practice, most severe first, in one query
   * whatever the number of patients; each patient's record read is audited. A patient with no
   * allergy (or not of the practice) maps to an empty list.
   */
  async ofPatients(caller: Caller, patientIds: readonly string[]): Promise<Map<string, AllergyView[]>> {
    const { auditor, orm } = this.#options;
    const ids = [...new Set(patientIds)].filter((id) => UUID.test(id));
    const targets = ids.map((patientId) => ({ action: READ, entity: 'Allergy', patientId }));
    const actor = await authorizeRecordRead(auditor, caller, ids, targets, 'Allergy');
    const cabinetId = await this.#practiceOf(caller, actor, targets);
    const byPatient = new Map<string, AllergyView[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byPatient;
    const rows = await orm.em.fork().find(Allergy, { patientId: { $in: ids }, cabinetId, removedAt: null });
    for (const row of rows.sort(byClinicalPriority)) byPatient.get(row.patientId)?.push(view(row));
    await auditor.recordAllNow(caller, targets);
    return byPatient;
  }

  async #practiceOf(caller: Caller, actor: Identity, targets: AuditTarget[]): Promise<string> {
    try {
      return requireCabinet(actor);
    } catch (error) {
      await this.#options.auditor.recordAllNow(caller, targets, 'DENIED', reasonOf(error));
      throw error;
    }
  }

  /** MedicalRecordUpdated for an allergy: which patient and entry, never the substance. */
  #announce(em: EntityManager, caller: Caller, cabinetId: string, patientId: string, entryId: string): void {
    const { topic } = this.#options;
    if (!topic) return;
    const data: MedicalRecordUpdated = { patientId, cabinetId, section: 'ALLERGY', entryId };
    recordEvent(em, topic, patientId, envelope('patients', MEDICAL_RECORD_UPDATED, cabinetId, caller, data));
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }
}
