import { randomUUID } from 'node:crypto';
import { assertCan, assertSameCabinet, can, requireCabinet } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import type { FieldCipher } from '@cabinet/platform/crypto';
import type { EntityManager, MikroORM } from '@cabinet/platform/database';
import { badUserInput, conflict, DomainError, notFound } from '@cabinet/platform/errors';
import {
  envelope,
  PATIENT_REGISTERED,
  PATIENT_UPDATED,
  type PatientRegistered,
  type PatientUpdated,
} from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { indexInput, NATIONAL_ID_TYPES, type NationalId, validateNationalId } from './domain/national-id.ts';
import { displayName, type PatientIdentityInput, validatePatientIdentity } from './domain/patient.ts';
import {
  type Address,
  applyPatientUpdate,
  archiveReason,
  type EmergencyContact,
  type Insurance,
  namePattern,
  type PatientFileState,
  type PatientUpdateInput,
  type ReferringPhysician,
} from './domain/patient-file.ts';
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
  address: Address | null;
  insurance: Insurance | null;
  emergencyContact: EmergencyContact | null;
  referringPhysician: ReferringPhysician | null;
  archivedAt: string | null;
  archiveReason: string | null;
}

/** A patient file's identity and details, as the domain rules see them. */
function stateOf(patient: PatientRecord): PatientFileState {
  return {
    firstName: patient.firstName,
    lastName: patient.lastName,
    birthDate: patient.birthDate,
    sex: patient.sex,
    phone: patient.phone ?? null,
    email: patient.email ?? null,
    address: patient.addressStreet
      ? {
          street: patient.addressStreet,
          postalCode: patient.addressPostalCode ?? '',
          city: patient.addressCity ?? '',
          country: patient.addressCountry ?? '',
        }
      : null,
    insurance: patient.insuranceOrganism
      ? {
          organism: patient.insuranceOrganism,
          memberNumber: patient.insuranceMemberNumber ?? '',
          validUntil: patient.insuranceValidUntil ?? null,
        }
      : null,
    emergencyContact: patient.emergencyName
      ? {
          name: patient.emergencyName,
          relationship: patient.emergencyRelationship ?? '',
          phone: patient.emergencyPhone ?? '',
        }
      : null,
    referringPhysician: patient.referringName
      ? { name: patient.referringName, rpps: patient.referringRpps ?? null, phone: patient.referringPhone ?? null }
      : null,
  };
}

/** The columns of a patient file's state. */
const columnsOf = (state: PatientFileState) => ({
  firstName: state.firstName,
  lastName: state.lastName,
  birthDate: state.birthDate,
  sex: state.sex,
  phone: state.phone,
  email: state.email,
  addressStreet: state.address?.street ?? null,
  addressPostalCode: state.address?.postalCode ?? null,
  addressCity: state.address?.city ?? null,
  addressCountry: state.address?.country ?? null,
  insuranceOrganism: state.insurance?.organism ?? null,
  insuranceMemberNumber: state.insurance?.memberNumber ?? null,
  insuranceValidUntil: state.insurance?.validUntil ?? null,
  emergencyName: state.emergencyContact?.name ?? null,
  emergencyRelationship: state.emergencyContact?.relationship ?? null,
  emergencyPhone: state.emergencyContact?.phone ?? null,
  referringName: state.referringPhysician?.name ?? null,
  referringRpps: state.referringPhysician?.rpps ?? null,
  referringPhone: state.referringPhysician?.phone ?? null,
});

const view = (patient: PatientRecord): PatientView => ({
  id: patient.id,
  ...stateOf(patient),
  registeredAt: patient.createdAt.toISOString(),
  archivedAt: patient.archivedAt?.toISOString() ?? null,
  archiveReason: patient.archiveReason ?? null,
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
        const data: PatientRegistered = {
          patientId: created.id,
          cabinetId,
          displayName: displayName(identity),
          birthDate: identity.birthDate,
        };
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
    // A PATIENT account reads its own file only: any other id is "not found".
    let own: string | null = null;
    try {
      const identity = caller.identity;
      if (identity && !can(identity, 'patient:read') && can(identity, 'patient:readOwn')) {
        own = identity.patientId ?? '';
        cabinetId = requireCabinet(identity);
      } else {
        cabinetId = requireCabinet(assertCan(caller, 'patient:read'));
      }
    } catch (error) {
      const reason = error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR';
      await auditor.recordAllNow(caller, distinct.map(targetOf), 'DENIED', reason);
      throw error;
    }
    const valid = distinct.filter((id) => UUID.test(id) && (own === null || id === own));
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

  /**
   * Patients of the caller's practice, by family name. `search` matches names anywhere, ignoring
   * case and accents ("helene" finds "Hélène"), or a national identifier exactly (through its blind
   * index, whatever its type). Archived files are left out unless `includeArchived`.
   */
  async list(
    caller: Caller,
    args: { search?: string | null; includeArchived?: boolean | null; limit?: number | null; offset?: number | null },
  ): Promise<PatientView[]> {
    const target = { action: 'patient:read', entity: 'Patient' };
    const actor = await this.#options.auditor.authorize(caller, 'patient:read', target);
    const cabinetId = await this.#practiceOf(caller, actor, target);
    const limit = args.limit ?? 50;
    const offset = args.offset ?? 0;
    if (limit < 1 || limit > 100) throw badUserInput('limit must be between 1 and 100', 'limit');
    if (offset < 0) throw badUserInput('offset cannot be negative', 'offset');
    const pattern = namePattern(args.search);
    const qb = this.#options.orm.em
      .fork()
      .createQueryBuilder(Patient, 'p')
      .select('*')
      .where({ cabinetId, ...(args.includeArchived ? {} : { archivedAt: null }) });
    if (pattern) {
      const folded = (column: string): string => `lower(unaccent(${column}))`;
      const clauses = [
        `${folded("p.first_name || ' ' || p.last_name")} like ${folded('?')}`,
        `${folded("p.last_name || ' ' || p.first_name")} like ${folded('?')}`,
      ];
      const params: unknown[] = [pattern, pattern];
      const indexes = this.#identifierIndexes(args.search ?? '');
      if (indexes.length > 0) {
        clauses.push(
          `p.id in (select n.patient_id from patient_national_id n where n.cabinet_id = ? and n.blind_index in (${indexes
            .map(() => '?')
            .join(', ')}))`,
        );
        params.push(cabinetId, ...indexes);
      }
      qb.andWhere(`(${clauses.join(' or ')})`, params);
    }
    const patients = await qb
      .orderBy({ lastName: 'asc', firstName: 'asc', id: 'asc' })
      .limit(limit)
      .offset(offset)
      .getResultList();
    await this.#options.auditor.recordAllNow(
      caller,
      patients.map((patient) => ({ ...target, entityId: patient.id, patientId: patient.id })),
    );
    return patients.map(view);
  }

  /** The blind indexes the text would have as a national identifier of each type it is valid for. */
  #identifierIndexes(text: string): string[] {
    const indexes: string[] = [];
    for (const type of NATIONAL_ID_TYPES) {
      try {
        indexes.push(this.#options.cipher.blindIndex(indexInput(validateNationalId({ type, value: text }))));
      } catch {
        // Not an identifier of this type.
      }
    }
    return indexes;
  }

  /** The caller's own patient file (a PATIENT account's linked file). */
  async mine(caller: Caller): Promise<PatientView> {
    const { auditor, orm } = this.#options;
    const target = { action: 'patient:readOwn', entity: 'Patient' };
    const actor = await auditor.authorize(caller, 'patient:readOwn', target);
    const patientId = actor.patientId ?? null;
    const own = { ...target, entityId: patientId, patientId };
    const found =
      patientId && actor.cabinetId
        ? await orm.em.fork().findOne(Patient, { id: patientId, cabinetId: actor.cabinetId })
        : null;
    if (!found) {
      const error = notFound('Patient', patientId ?? 'mine');
      await auditor.denied(caller, own, error);
      throw error;
    }
    await auditor.recordNow(caller, own);
    return view(found);
  }

  /**
   * Updates a patient file partially (absent fields kept, null ones cleared), validated as a whole
   * against its current state, audited and announced (PatientUpdated) in one transaction.
   */
  async update(caller: Caller, id: string, input: PatientUpdateInput): Promise<PatientView> {
    return this.#change(caller, id, 'updatePatient', (patient) => {
      const { next } = applyPatientUpdate(stateOf(patient), input, new Date());
      return columnsOf(next);
    });
  }

  /** Archives a patient file (never deleted): left out of searches by default, still readable by id. */
  async archive(caller: Caller, id: string, reason: string): Promise<PatientView> {
    return this.#change(caller, id, 'archivePatient', (patient, actor) => {
      const why = archiveReason(reason);
      if (patient.archivedAt) throw conflict('This patient file is already archived');
      return { archivedAt: new Date(), archivedBy: actor.userId, archiveReason: why };
    });
  }

  /** Brings an archived patient file back into searches. */
  async restore(caller: Caller, id: string): Promise<PatientView> {
    return this.#change(caller, id, 'restorePatient', (patient) => {
      if (!patient.archivedAt) throw conflict('This patient file is not archived');
      return { archivedAt: null, archivedBy: null, archiveReason: null };
    });
  }

  /**
   * A change of a patient file of the caller's practice (`patient:update`): the file is locked,
   * `changes` computes the new columns from it (or refuses), then the write, its audit record and
   * the PatientUpdated event commit together. Another practice's file is "not found".
   */
  async #change(
    caller: Caller,
    id: string,
    action: string,
    changes: (patient: PatientRecord, actor: Identity) => Partial<PatientRecord>,
  ): Promise<PatientView> {
    const { auditor, orm } = this.#options;
    const target = { action, entity: 'Patient', entityId: id, patientId: UUID.test(id) ? id : null };
    const actor = await auditor.authorize(caller, 'patient:update', target);
    const cabinetId = await this.#practiceOf(caller, actor, target);
    const found = UUID.test(id) ? await orm.em.fork().findOne(Patient, { id, cabinetId }) : null;
    try {
      assertSameCabinet(actor, 'Patient', id, found);
    } catch (error) {
      await auditor.denied(caller, target, error);
      throw error;
    }
    const updated = await orm.em.fork().transactional(async (em: EntityManager) => {
      const patient = await em.findOneOrFail(Patient, { id, cabinetId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      em.assign(patient, { ...changes(patient, actor), updatedAt: new Date(), updatedBy: actor.userId });
      const data: PatientUpdated = {
        patientId: id,
        cabinetId,
        displayName: displayName(patient),
        archived: patient.archivedAt != null,
        birthDate: patient.birthDate,
      };
      recordEvent(em, this.#options.topic, id, envelope('patients', PATIENT_UPDATED, cabinetId, caller, data));
      auditor.record(em, caller, target);
      return patient;
    });
    this.#options.onEventsRecorded();
    this.#options.log.info({ requestId: caller.requestId, patientId: id, cabinetId, action }, 'patient file changed');
    return view(updated);
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
