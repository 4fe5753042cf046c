import { randomUUID } from 'node:crypto';
import { can, type Permission } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import { PRESCRIPTION_ISSUED, type PrescriptionIssued } from '@cabinet/platform/consultation-events';
import { type EntityManager, type MikroORM, sql } from '@cabinet/platform/database';
import { badUserInput, conflict, forbidden, notFound } from '@cabinet/platform/errors';
import { envelope } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { eventually } from '@cabinet/platform/projection';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { type DocumentFacts, renderPrescription } from './document.ts';
import { type MedicationInput, searchPattern, validateMedication } from './domain/medication.ts';
import { type PrescriptionInput, validatePrescription } from './domain/prescription.ts';
import { isUuid } from './domain/text.ts';
import {
  KnownConsultation,
  type KnownConsultationRecord,
  KnownPatient,
  KnownPractice,
  KnownPractitioner,
  Medication,
  type MedicationRecord,
  Prescription,
  PrescriptionExam,
  PrescriptionLine,
  type PrescriptionRecord,
  StaffProfile,
} from './persistence/entities.ts';

/** Managing the medication catalogue: ADMIN. */
export const MANAGE_CATALOGUE: Permission = 'medication:manage';
/** Looking medications up to prescribe: doctors. */
export const READ_CATALOGUE: Permission = 'medication:read';
/** Issuing a prescription: the consultation's doctor. */
export const WRITE: Permission = 'prescription:write';
/** Reading prescriptions (clinical content): doctors of the practice. */
export const READ: Permission = 'medicalRecord:read';
/** A patient reading their own prescriptions. */
export const READ_OWN: Permission = 'prescription:readOwn';

/** The refusal of a doctor prescribing on another doctor's consultation. */
export const NOT_YOUR_CONSULTATION = "Only the consultation's doctor prescribes on it";
/** The refusal of a second catalogue entry for one medication. */
export const DUPLICATE_MEDICATION = 'The catalogue already has this medication in this form and strength';

export interface MedicationView {
  id: string;
  name: string;
  form: string;
  strength: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PrescriptionLineView {
  medicationId: string;
  name: string;
  form: string;
  strength: string;
  dosage: string;
  frequency: string;
  duration: string;
  instructions: string | null;
}

export interface PrescriptionView {
  id: string;
  consultationId: string;
  cabinetId: string;
  patientId: string;
  practitionerId: string;
  issuedAt: string;
  lines: PrescriptionLineView[];
  exams: string[];
  /** What the printed document shows, as it was at issue time. */
  facts: DocumentFacts;
}

export interface PrescriptionDocumentView {
  filename: string;
  contentType: string;
  base64: string;
}

export interface MedicationChange extends MedicationInput {
  /** Reactivates (true) or withdraws (false) the entry; unchanged when absent. */
  active?: boolean | null;
}

const medicationView = (medication: MedicationRecord): MedicationView => ({
  id: medication.id,
  name: medication.name,
  form: medication.form,
  strength: medication.strength,
  active: medication.active,
  createdAt: medication.createdAt.toISOString(),
  updatedAt: medication.updatedAt.toISOString(),
});

const isDuplicate = (error: unknown): boolean => error instanceof UniqueConstraintViolationException;

/** Views of prescriptions with their lines and exams, in two queries whatever their number. */
async function prescriptionViews(
  em: EntityManager,
  prescriptions: readonly PrescriptionRecord[],
): Promise<PrescriptionView[]> {
  if (prescriptions.length === 0) return [];
  const ids = prescriptions.map((prescription) => prescription.id);
  const [lines, exams] = await Promise.all([
    em.find(PrescriptionLine, { prescriptionId: { $in: ids } }, { orderBy: { position: 'asc' } }),
    em.find(PrescriptionExam, { prescriptionId: { $in: ids } }, { orderBy: { position: 'asc' } }),
  ]);
  return prescriptions.map((prescription) => {
    const own = lines
      .filter((line) => line.prescriptionId === prescription.id)
      .map((line) => ({
        medicationId: line.medicationId,
        name: line.medicationName,
        form: line.form,
        strength: line.strength,
        dosage: line.dosage,
        frequency: line.frequency,
        duration: line.duration,
        instructions: line.instructions ?? null,
      }));
    const requested = exams.filter((exam) => exam.prescriptionId === prescription.id).map((exam) => exam.text);
    const issuedAt = prescription.issuedAt.toISOString();
    return {
      id: prescription.id,
      consultationId: prescription.consultationId,
      cabinetId: prescription.cabinetId,
      patientId: prescription.patientId,
      practitionerId: prescription.practitionerId,
      issuedAt,
      lines: own,
      exams: requested,
      facts: { ...prescription.document, prescriptionId: prescription.id, issuedAt, lines: own, exams: requested },
    };
  });
}

export interface PrescriptionsServiceOptions {
  orm: MikroORM;
  log: Logger;
  /** Full topic name (with any prefix) of prescription events. */
  topic: string;
  auditor: Auditor;
  /** Called after a commit that recorded events, so the relay sends them at once. */
  onEventsRecorded: () => void;
  clock?: () => Date;
  /**
   * How long issuing waits for the projection to learn of a consultation (and of what its
   * document shows) before calling it unknown: their events may be a moment behind the caller.
   */
  projectionWaitMs?: number;
}

/**
 * The medication catalogue and the prescriptions (ordonnances) issued on consultations. Every
 * method checks the permission first (through the Auditor, which records a refusal), then the
 * practice (another practice's data is NOT_FOUND) and, for a patient, that the prescription is
 * their own. Every write is audited in its transaction; every read of a prescription is audited
 * with its patient.
 */
export class PrescriptionsService {
  readonly #options: PrescriptionsServiceOptions;

  constructor(options: PrescriptionsServiceOptions) {
    this.#options = options;
  }

  async createMedication(caller: Caller, input: MedicationInput): Promise<MedicationView> {
    const target: AuditTarget = { action: 'createMedication', entity: 'Medication' };
    const actor = await this.#options.auditor.authorize(caller, MANAGE_CATALOGUE, target);
    const entry = await this.#valid(caller, target, () => validateMedication(input));
    const created = await this.#catalogueWrite(caller, target, async (em) => {
      const now = this.#now();
      const medication = em.create(Medication, {
        id: randomUUID(),
        ...entry,
        active: true,
        createdAt: now,
        updatedAt: now,
        updatedBy: actor.userId,
      });
      this.#options.auditor.record(em, caller, { ...target, entityId: medication.id });
      return medication;
    });
    return medicationView(created);
  }

  /** Edits a catalogue entry (name, form, strength, and `active` to withdraw or reinstate it). */
  async updateMedication(caller: Caller, id: string, change: MedicationChange): Promise<MedicationView> {
    const target: AuditTarget = { action: 'updateMedication', entity: 'Medication', entityId: isUuid(id) ? id : null };
    const actor = await this.#options.auditor.authorize(caller, MANAGE_CATALOGUE, target);
    const current = await this.#medication(caller, target, id);
    const entry = await this.#valid(caller, target, () =>
      validateMedication({
        name: change.name === undefined ? current.name : change.name,
        form: change.form === undefined ? current.form : change.form,
        strength: change.strength === undefined ? current.strength : change.strength,
      }),
    );
    const updated = await this.#catalogueWrite(caller, target, async (em) => {
      const medication = await em.findOneOrFail(Medication, { id });
      Object.assign(medication, entry, {
        ...(typeof change.active === 'boolean' ? { active: change.active } : {}),
        updatedAt: this.#now(),
        updatedBy: actor.userId,
      });
      this.#options.auditor.record(em, caller, target);
      return medication;
    });
    return medicationView(updated);
  }

  /** Withdraws a medication from prescribing (it stays on the prescriptions that name it). */
  async deactivateMedication(caller: Caller, id: string): Promise<MedicationView> {
    const target: AuditTarget = {
      action: 'deactivateMedication',
      entity: 'Medication',
      entityId: isUuid(id) ? id : null,
    };
    const actor = await this.#options.auditor.authorize(caller, MANAGE_CATALOGUE, target);
    const current = await this.#medication(caller, target, id);
    if (!current.active)
      await this.#options.auditor.refuse(caller, target, conflict('This medication is already deactivated'));
    const updated = await this.#catalogueWrite(caller, target, async (em) => {
      const medication = await em.findOneOrFail(Medication, { id });
      Object.assign(medication, { active: false, updatedAt: this.#now(), updatedBy: actor.userId });
      this.#options.auditor.record(em, caller, target);
      return medication;
    });
    return medicationView(updated);
  }

  /**
   * The catalogue, by name: entries whose name (or form, or strength) contains `search`, ignoring
   * case and accents; active ones only unless `includeInactive`.
   */
  async medications(caller: Caller, search?: string | null, includeInactive = false): Promise<MedicationView[]> {
    const target: AuditTarget = { action: READ_CATALOGUE, entity: 'Medication' };
    await this.#authorizeEither(caller, READ_CATALOGUE, MANAGE_CATALOGUE, target);
    const pattern = await this.#valid(caller, target, () => searchPattern(search));
    const folded = (column: string) => `lower(unaccent(${column}))`;
    const rows = await sql<{ id: string }>(
      this.#options.orm.em.fork(),
      `select id from medication
       where (? or active)
         and (?::text is null or ${folded('name')} like ${folded('?::text')}
              or ${folded("form || ' ' || strength")} like ${folded('?::text')})
       order by lower(name), lower(strength), lower(form), id
       limit 100`,
      [includeInactive, pattern, pattern, pattern],
    );
    if (rows.length === 0) return [];
    const found = await this.#options.orm.em.fork().find(Medication, { id: { $in: rows.map((row) => row.id) } });
    const byId = new Map(found.map((medication) => [medication.id, medication]));
    return rows.flatMap((row) => {
      const medication = byId.get(row.id);
      return medication ? [medicationView(medication)] : [];
    });
  }

  /**
   * Issues a prescription on a consultation of the caller (its doctor): medication lines from the
   * active catalogue and exam requests, validated whole (BAD_USER_INPUT naming the field, nothing
   * stored). What its document shows is kept as it is now. Immutable once issued.
   */
  async issue(caller: Caller, consultationId: string, input: PrescriptionInput): Promise<PrescriptionView> {
    const { auditor } = this.#options;
    const target: AuditTarget = { action: 'issuePrescription', entity: 'Prescription' };
    const actor = await auditor.authorize(caller, WRITE, target);
    const consultation = await this.#consultation(caller, actor, consultationId, target);
    const audited = { ...target, patientId: consultation.patientId };
    if (consultation.practitionerId !== actor.userId) {
      await this.#options.auditor.refuse(caller, audited, forbidden(NOT_YOUR_CONSULTATION));
    }
    const entry = await this.#valid(caller, audited, () => validatePrescription(input));
    const em = this.#options.orm.em.fork();
    const ids = [...new Set(entry.lines.map((line) => line.medicationId))];
    const medications = ids.length ? await em.find(Medication, { id: { $in: ids }, active: true }) : [];
    const catalogue = new Map(medications.map((medication) => [medication.id, medication]));
    const unknown = entry.lines.findIndex((line) => !catalogue.has(line.medicationId));
    if (unknown >= 0) {
      const field = `lines[${unknown}].medicationId`;
      await this.#options.auditor.refuse(
        caller,
        audited,
        badUserInput(`${field} is not an active medication of the catalogue`, field),
      );
    }
    const document = await this.#documentFacts(consultation);
    const issued = await this.#write(async (tx) => {
      const prescription = tx.create(Prescription, {
        id: randomUUID(),
        consultationId: consultation.consultationId,
        cabinetId: consultation.cabinetId,
        patientId: consultation.patientId,
        practitionerId: consultation.practitionerId,
        issuedAt: this.#now(),
        document,
      });
      entry.lines.forEach((line, position) => {
        const medication = catalogue.get(line.medicationId) as MedicationRecord;
        tx.create(PrescriptionLine, {
          prescriptionId: prescription.id,
          position,
          medicationId: medication.id,
          medicationName: medication.name,
          form: medication.form,
          strength: medication.strength,
          dosage: line.dosage,
          frequency: line.frequency,
          duration: line.duration,
          instructions: line.instructions,
        });
      });
      entry.exams.forEach((text, position) => {
        tx.create(PrescriptionExam, { prescriptionId: prescription.id, position, text });
      });
      auditor.record(tx, caller, { ...audited, entityId: prescription.id });
      const data: PrescriptionIssued = {
        prescriptionId: prescription.id,
        consultationId: prescription.consultationId,
        cabinetId: prescription.cabinetId,
        patientId: prescription.patientId,
        practitionerId: prescription.practitionerId,
        issuedAt: prescription.issuedAt.toISOString(),
      };
      recordEvent(
        tx,
        this.#options.topic,
        prescription.id,
        envelope('prescriptions', PRESCRIPTION_ISSUED, prescription.cabinetId, caller, data),
      );
      return prescription;
    });
    this.#options.log.info(
      { requestId: caller.requestId, prescriptionId: issued.id, consultationId: issued.consultationId },
      'prescription issued',
    );
    const [view] = await prescriptionViews(this.#options.orm.em.fork(), [issued]);
    return view as PrescriptionView;
  }

  /** One prescription: of the caller's practice (doctors), or the caller's own (patient); NOT_FOUND otherwise. */
  async byId(caller: Caller, id: string): Promise<PrescriptionView> {
    const target: AuditTarget = { action: READ, entity: 'Prescription', entityId: isUuid(id) ? id : null };
    const actor = await this.#authorizeEither(caller, READ, READ_OWN, target);
    const em = this.#options.orm.em.fork();
    const found = isUuid(id) ? await em.findOne(Prescription, { id }) : null;
    if (!found || !this.#visible(actor, found)) {
      await this.#options.auditor.refuse(
        caller,
        { ...target, patientId: found?.patientId ?? null },
        notFound('Prescription', id),
      );
    }
    const prescription = found as PrescriptionRecord;
    await this.#options.auditor.recordNow(caller, { ...target, patientId: prescription.patientId });
    const [view] = await prescriptionViews(em, [prescription]);
    return view as PrescriptionView;
  }

  /**
   * The prescriptions of a consultation, oldest first: one of the caller's practice (doctors), or
   * one of the caller's own (patient); NOT_FOUND otherwise.
   */
  async ofConsultation(caller: Caller, consultationId: string): Promise<PrescriptionView[]> {
    const target: AuditTarget = { action: READ, entity: 'Prescription' };
    const actor = await this.#authorizeEither(caller, READ, READ_OWN, target);
    await this.#consultation(caller, actor, consultationId, target);
    return (await this.#ofConsultations(caller, actor, [consultationId])).get(consultationId) ?? [];
  }

  /** The prescriptions of several consultations (doctors of the practice), in one query: `Consultation.prescriptions`. */
  async ofConsultations(caller: Caller, consultationIds: readonly string[]): Promise<Map<string, PrescriptionView[]>> {
    const target: AuditTarget = { action: READ, entity: 'Prescription' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    return this.#ofConsultations(caller, actor, consultationIds);
  }

  /** The signed-in patient's own prescriptions, most recent first. */
  /** The prescriptions part of a patient's data export: all of them, for that patient only. */
  async exportFor(caller: Caller, patientId: string): Promise<PrescriptionView[]> {
    const actor = await this.#options.auditor.authorize(caller, READ_OWN, { action: READ_OWN, entity: 'Prescription' });
    if (actor.patientId !== patientId) throw notFound('PatientDataExport', patientId);
    return this.mine(caller);
  }

  async mine(caller: Caller): Promise<PrescriptionView[]> {
    const target: AuditTarget = { action: READ_OWN, entity: 'Prescription' };
    const actor = await this.#options.auditor.authorize(caller, READ_OWN, target);
    if (!actor.patientId || !actor.cabinetId) return [];
    const em = this.#options.orm.em.fork();
    const prescriptions = await em.find(
      Prescription,
      { patientId: actor.patientId, cabinetId: actor.cabinetId },
      { orderBy: { issuedAt: 'desc', id: 'asc' } },
    );
    await this.#options.auditor.recordNow(caller, { ...target, patientId: actor.patientId });
    return prescriptionViews(em, prescriptions);
  }

  /**
   * The printable document of a prescription the caller has read (its view came through one of
   * the reads above), generated now from what was kept at issue time; audited as a print.
   */
  async document(caller: Caller, prescription: PrescriptionView): Promise<PrescriptionDocumentView> {
    const target: AuditTarget = {
      action: 'printPrescription',
      entity: 'Prescription',
      entityId: prescription.id,
      patientId: prescription.patientId,
    };
    const actor = await this.#authorizeEither(caller, READ, READ_OWN, target);
    if (!this.#visible(actor, prescription)) {
      await this.#options.auditor.refuse(caller, target, notFound('Prescription', prescription.id));
    }
    const rendered = await renderPrescription(prescription.facts);
    await this.#options.auditor.recordNow(caller, target);
    return {
      filename: rendered.filename,
      contentType: rendered.contentType,
      base64: Buffer.from(rendered.bytes).toString('base64'),
    };
  }

  async #ofConsultations(
    caller: Caller,
    actor: Identity,
    consultationIds: readonly string[],
  ): Promise<Map<string, PrescriptionView[]>> {
    const ids = consultationIds.filter(isUuid);
    const result = new Map<string, PrescriptionView[]>(consultationIds.map((id) => [id, []]));
    if (ids.length === 0 || !actor.cabinetId) return result;
    const em = this.#options.orm.em.fork();
    const prescriptions = await em.find(
      Prescription,
      {
        consultationId: { $in: ids },
        cabinetId: actor.cabinetId,
        // A patient sees their own only; anyone else's is indistinguishable from none.
        ...(can(actor, READ) ? {} : { patientId: actor.patientId ?? randomUUID() }),
      },
      { orderBy: { issuedAt: 'asc', id: 'asc' } },
    );
    await this.#options.auditor.recordAllNow(
      caller,
      prescriptions.map((prescription) => ({
        action: READ,
        entity: 'Prescription',
        entityId: prescription.id,
        patientId: prescription.patientId,
      })),
    );
    for (const view of await prescriptionViews(em, prescriptions)) result.get(view.consultationId)?.push(view);
    return result;
  }

  /** Whether the caller may see this prescription: their practice's (doctors), or their own (patient). */
  #visible(actor: Identity, prescription: { cabinetId: string; patientId: string }): boolean {
    if (!actor.cabinetId || prescription.cabinetId !== actor.cabinetId) return false;
    return can(actor, READ) || (actor.patientId !== null && actor.patientId === prescription.patientId);
  }

  /**
   * A consultation of the caller's practice (and, for a patient, their own), as the consultations
   * events describe it; NOT_FOUND otherwise, audited.
   */
  async #consultation(
    caller: Caller,
    actor: Identity,
    consultationId: string,
    target: AuditTarget,
  ): Promise<KnownConsultationRecord> {
    const found = isUuid(consultationId)
      ? await eventually(
          () => this.#options.orm.em.fork().findOne(KnownConsultation, { consultationId }),
          this.#options.projectionWaitMs,
        )
      : null;
    const visible =
      found &&
      actor.cabinetId &&
      found.cabinetId === actor.cabinetId &&
      // Staff with clinical access see the practice's; a patient only their own.
      (can(actor, READ) || found.patientId === actor.patientId);
    if (!visible) {
      await this.#options.auditor.refuse(
        caller,
        { ...target, patientId: found?.patientId ?? null },
        notFound('Consultation', consultationId),
      );
    }
    return found as KnownConsultationRecord;
  }

  /**
   * What the printed prescription shows, from the projections, waiting a moment for what has not
   * arrived yet; what is still unknown then prints as blank rather than refusing to prescribe.
   */
  async #documentFacts(
    consultation: KnownConsultationRecord,
  ): Promise<Omit<DocumentFacts, 'prescriptionId' | 'issuedAt' | 'lines' | 'exams'>> {
    const { cabinetId, practitionerId: userId, patientId } = consultation;
    const load = async () => {
      const em = this.#options.orm.em.fork();
      const [practice, practitioner, profile, patient] = await Promise.all([
        em.findOne(KnownPractice, { cabinetId }),
        em.findOne(KnownPractitioner, { userId, cabinetId }),
        em.findOne(StaffProfile, { userId }),
        em.findOne(KnownPatient, { patientId }),
      ]);
      return { practice, practitioner, profile, patient };
    };
    type Known = Awaited<ReturnType<typeof load>>;
    const complete = (k: Known) => Boolean(k.practice && k.practitioner && k.profile && k.patient);
    const known =
      (await eventually(async () => {
        const loaded = await load();
        return complete(loaded) ? loaded : null;
      }, this.#options.projectionWaitMs)) ?? (await load());
    const { practice, practitioner, profile, patient } = known;
    if (!complete(known)) {
      this.#options.log.warn(
        {
          consultationId: consultation.consultationId,
          practice: !!practice,
          practitioner: !!practitioner,
          profile: !!profile,
          patient: !!patient,
        },
        'prescription document issued with facts the projection does not know yet',
      );
    }
    return {
      practice: {
        name: practice?.name ?? null,
        addressLines: practice?.addressLines ?? [],
        phone: practice?.phone ?? null,
        timeZone: practice?.timeZone ?? 'UTC',
      },
      practitioner: {
        name: profile?.name ?? null,
        specialty: practitioner?.specialty ?? null,
        rpps: practitioner?.rpps ?? null,
        signature: profile?.signature ?? null,
      },
      patient: {
        name: patient && patient.cabinetId === cabinetId ? patient.displayName : null,
        birthDate: patient && patient.cabinetId === cabinetId ? (patient.birthDate ?? null) : null,
      },
    };
  }

  /** A catalogue entry, or NOT_FOUND (audited). */
  async #medication(caller: Caller, target: AuditTarget, id: string): Promise<MedicationRecord> {
    const found = isUuid(id) ? await this.#options.orm.em.fork().findOne(Medication, { id }) : null;
    if (!found) await this.#options.auditor.refuse(caller, target, notFound('Medication', id));
    return found as MedicationRecord;
  }

  /** Runs a validation; its refusal is audited and rethrown. */
  async #valid<T>(caller: Caller, target: AuditTarget, validate: () => T): Promise<T> {
    try {
      return validate();
    } catch (error) {
      await this.#options.auditor.denied(caller, target, error);
      throw error;
    }
  }

  /** A catalogue write; a duplicate entry is a CONFLICT (audited). */
  async #catalogueWrite<T>(caller: Caller, target: AuditTarget, work: (em: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.#write(work);
    } catch (error) {
      if (isDuplicate(error)) await this.#options.auditor.refuse(caller, target, conflict(DUPLICATE_MEDICATION));
      throw error;
    }
  }

  async #write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.#options.orm.em.fork().transactional(work);
    this.#options.onEventsRecorded();
    return result;
  }

  /**
   * The caller when they hold `wide` or else `narrow`; without either, FORBIDDEN naming the wide
   * one, and audited.
   */
  async #authorizeEither(caller: Caller, wide: Permission, narrow: Permission, target: AuditTarget): Promise<Identity> {
    const { identity } = caller;
    const permission = identity && !can(identity, wide) && can(identity, narrow) ? narrow : wide;
    return this.#options.auditor.authorize(caller, permission, target);
  }

  #now(): Date {
    return this.#options.clock?.() ?? new Date();
  }
}
