import { randomUUID } from 'node:crypto';
import { assertCan, assertSameCabinet, requireCabinet } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import type { FieldCipher } from '@cabinet/platform/crypto';
import type { MikroORM } from '@cabinet/platform/database';
import { badUserInput, conflict, DomainError, notFound } from '@cabinet/platform/errors';
import { envelope, PATIENT_REGISTERED, type PatientRegistered } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { indexInput, type NationalId, validateNationalId } from './domain/national-id.ts';
import { displayName, type PatientIdentityInput, validatePatientIdentity } from './domain/patient.ts';
import { Patient, PatientNationalId, type PatientRecord } from './persistence/patient.entity.ts';

export interface PatientView {
  id: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  sex: string;
  phone: string | null;
  email: string | null;
  registeredAt: string;
}

const view = (patient: PatientRecord): PatientView => ({
  id: patient.id,
  firstName: patient.firstName,
  lastName: patient.lastName,
  birthDate: patient.birthDate,
  sex: patient.sex,
  phone: patient.phone ?? null,
  email: patient.email ?? null,
  registeredAt: patient.createdAt.toISOString(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface PatientsServiceOptions {
  orm: MikroORM;
  log: Logger;
  topic: string;
  auditor: Auditor;
  cipher: FieldCipher;
  /** Called after a commit that recorded events, so the relay sends them at once. */
  onEventsRecorded: () => void;
}

export interface RegisterPatientInput extends PatientIdentityInput {
  nationalIds?: { type: string; value: string }[] | null;
}

/** Every method checks its permission first, and every read or write of a patient is audited. */
export class PatientsService {
  readonly #options: PatientsServiceOptions;

  constructor(options: PatientsServiceOptions) {
    this.#options = options;
  }

  async register(caller: Caller, input: RegisterPatientInput): Promise<PatientView> {
    const { auditor, cipher } = this.#options;
    const target = { action: 'registerPatient', entity: 'Patient' };
    const actor = await auditor.authorize(caller, 'patient:register', target);
    const cabinetId = await this.#practiceOf(caller, actor, target);
    const identity = validatePatientIdentity(input, new Date());
    const nationalIds = (input.nationalIds ?? []).map(validateNationalId);
    if (new Set(nationalIds.map(indexInput)).size !== nationalIds.length) {
      throw badUserInput('nationalIds lists the same identifier twice', 'nationalIds');
    }
    let patient: PatientRecord;
    try {
      patient = await this.#options.orm.em.fork().transactional(async (em) => {
        const created = em.create(Patient, {
          id: randomUUID(),
          cabinetId,
          ...identity,
          createdAt: new Date(),
          createdBy: actor.userId,
        });
        // No ORM relation orders these inserts: the patient row must exist before its identifiers.
        await em.flush();
        for (const id of nationalIds) {
          em.create(PatientNationalId, {
            id: randomUUID(),
            patientId: created.id,
            cabinetId,
            type: id.type,
            valueEncrypted: cipher.encrypt(id.value),
            blindIndex: cipher.blindIndex(indexInput(id)),
            createdAt: new Date(),
          });
        }
        const data: PatientRegistered = { patientId: created.id, cabinetId, displayName: displayName(identity) };
        recordEvent(
          em,
          this.#options.topic,
          created.id,
          envelope('patients', PATIENT_REGISTERED, cabinetId, caller, data),
        );
        auditor.record(em, caller, { ...target, entityId: created.id, patientId: created.id });
        return created;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw conflict('A patient with this national identifier is already registered at the practice');
      }
      throw error;
    }
    this.#options.onEventsRecorded();
    this.#options.log.info({ requestId: caller.requestId, patientId: patient.id, cabinetId }, 'patient registered');
    return view(patient);
  }

  async byId(caller: Caller, id: string): Promise<PatientView> {
    const target = { action: 'patient:read', entity: 'Patient', entityId: id, patientId: UUID.test(id) ? id : null };
    const actor = await this.#options.auditor.authorize(caller, 'patient:read', target);
    const cabinetId = await this.#practiceOf(caller, actor, target);
    const found = UUID.test(id) ? await this.#options.orm.em.fork().findOne(Patient, { id, cabinetId }) : null;
    let patient: PatientRecord;
    try {
      patient = assertSameCabinet(actor, 'Patient', id, found);
    } catch (error) {
      await this.#options.auditor.denied(caller, target, error);
      throw error;
    }
    await this.#options.auditor.recordNow(caller, target);
    return view(patient);
  }

  /**
   * `byId` for many ids at once (the router's `_entities` call for a list of references): one
   * permission check, one query for all ids, and one audit transaction with an ALLOWED record per
   * patient found and a DENIED (NOT_FOUND) one per id unknown or of another practice. Each id maps
   * to its patient or to the error `byId` would throw; a refused caller gets the refusal for all,
   * recorded for each id.
   */
  async byIds(caller: Caller, ids: readonly string[]): Promise<Map<string, PatientView | DomainError>> {
    const { auditor, orm } = this.#options;
    const distinct = [...new Set(ids)];
    const targetOf = (id: string): AuditTarget => ({
      action: 'patient:read',
      entity: 'Patient',
      entityId: id,
      patientId: UUID.test(id) ? id : null,
    });
    let cabinetId: string;
    try {
      cabinetId = requireCabinet(assertCan(caller, 'patient:read'));
    } catch (error) {
      const reason = error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR';
      await auditor.recordAllNow(caller, distinct.map(targetOf), 'DENIED', reason);
      throw error;
    }
    const valid = distinct.filter((id) => UUID.test(id));
    const found = new Map<string, PatientRecord>();
    if (valid.length > 0) {
      for (const patient of await orm.em.fork().find(Patient, { id: { $in: valid }, cabinetId })) {
        found.set(patient.id, patient);
      }
    }
    const results = new Map<string, PatientView | DomainError>();
    if (distinct.length === 0) return results;
    await orm.em.fork().transactional(async (em) => {
      for (const id of distinct) {
        const patient = found.get(id);
        if (patient) {
          auditor.record(em, caller, targetOf(id));
          results.set(id, view(patient));
        } else {
          const error = notFound('Patient', id);
          auditor.record(em, caller, targetOf(id), 'DENIED', error.code);
          results.set(id, error);
        }
      }
    });
    this.#options.onEventsRecorded();
    return results;
  }

  async list(
    caller: Caller,
    args: { search?: string | null; limit?: number | null; offset?: number | null },
  ): Promise<PatientView[]> {
    const target = { action: 'patient:read', entity: 'Patient' };
    const actor = await this.#options.auditor.authorize(caller, 'patient:read', target);
    const cabinetId = await this.#practiceOf(caller, actor, target);
    const limit = args.limit ?? 50;
    const offset = args.offset ?? 0;
    if (limit < 1 || limit > 100) throw badUserInput('limit must be between 1 and 100', 'limit');
    if (offset < 0) throw badUserInput('offset cannot be negative', 'offset');
    const search = args.search?.trim();
    const pattern = search ? `%${search.replace(/[\\%_]/g, '\\$&')}%` : null;
    const patients = await this.#options.orm.em
      .fork()
      .find(
        Patient,
        pattern
          ? { cabinetId, $or: [{ firstName: { $ilike: pattern } }, { lastName: { $ilike: pattern } }] }
          : { cabinetId },
        { orderBy: { lastName: 'asc', firstName: 'asc', id: 'asc' }, limit, offset },
      );
    await this.#options.auditor.recordAllNow(
      caller,
      patients.map((patient) => ({ ...target, entityId: patient.id, patientId: patient.id })),
    );
    return patients.map(view);
  }

  /** Decrypted national identifiers of a patient already read by the caller. */
  async nationalIds(caller: Caller, patientId: string): Promise<NationalId[]> {
    const target = { action: 'patient:readNationalId', entity: 'Patient', entityId: patientId, patientId };
    const actor = await this.#options.auditor.authorize(caller, 'patient:readNationalId', target);
    const cabinetId = await this.#practiceOf(caller, actor, target);
    const rows = await this.#options.orm.em
      .fork()
      .find(PatientNationalId, { patientId, cabinetId }, { orderBy: { type: 'asc', createdAt: 'asc' } });
    await this.#options.auditor.recordNow(caller, target);
    return rows.map((row) => ({ type: row.type, value: this.#options.cipher.decrypt(row.valueEncrypted) }));
  }

  async #practiceOf(caller: Caller, actor: Identity, target: { action: string; entity: string }): Promise<string> {
    try {
      return requireCabinet(actor);
    } catch (error) {
      await this.#options.auditor.denied(caller, target, error);
      throw error;
    }
  }
}
