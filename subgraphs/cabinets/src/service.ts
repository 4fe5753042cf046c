import { randomUUID } from 'node:crypto';
import { can, requireCabinet } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import {
  CABINET_CREATED,
  CABINET_DEACTIVATED,
  CABINET_UPDATED,
  type CabinetCreated,
  type CabinetDeactivated,
  type CabinetSnapshot,
  type CabinetUpdated,
  PRACTITIONER_ATTACHED,
  PRACTITIONER_DETACHED,
  type PractitionerAttached,
  type PractitionerDetached,
} from '@cabinet/platform/cabinet-events';
import type { EntityManager, MikroORM } from '@cabinet/platform/database';
import { badUserInput, conflict, DomainError, notFound } from '@cabinet/platform/errors';
import { envelope } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { LockMode, QueryOrder, UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  applyCabinetPatch,
  type CabinetData,
  type CabinetInput,
  type CabinetPatch,
  changedFields,
  validateCabinet,
  validateSpecialty,
} from './domain/cabinet.ts';
import { validateRpps } from './domain/rpps.ts';
import { Cabinet, type CabinetRecord } from './persistence/cabinet.entity.ts';
import { Practitioner, type PractitionerRecord } from './persistence/practitioner.entity.ts';

export interface CabinetView extends CabinetData {
  id: string;
  active: boolean;
}

export interface PractitionerView {
  id: string;
  cabinetId: string;
  userId: string;
  specialty: string;
  rpps: string;
  /** False once detached from the practice. */
  active: boolean;
}

export interface AttachPractitionerInput {
  cabinetId: string;
  userId: string;
  specialty: string;
  rpps: string;
}

const dataOf = (cabinet: CabinetRecord): CabinetData => ({
  name: cabinet.name,
  specialty: cabinet.specialty,
  address: { street: cabinet.street, postalCode: cabinet.postalCode, city: cabinet.city, country: cabinet.country },
  phone: cabinet.phone ?? null,
  email: cabinet.email ?? null,
  logoUrl: cabinet.logoUrl ?? null,
  openingHours: cabinet.openingHours,
  timeZone: cabinet.timeZone,
});

const columnsOf = ({ address, ...rest }: CabinetData) => ({ ...rest, ...address });

const cabinetView = (cabinet: CabinetRecord): CabinetView => ({
  id: cabinet.id,
  ...dataOf(cabinet),
  active: cabinet.active,
});

const snapshot = (cabinet: CabinetRecord): CabinetSnapshot => {
  const { id, ...rest } = cabinetView(cabinet);
  return { cabinetId: id, ...rest };
};

const practitionerView = (practitioner: PractitionerRecord): PractitionerView => ({
  id: practitioner.id,
  cabinetId: practitioner.cabinetId,
  userId: practitioner.userId,
  specialty: practitioner.specialty,
  rpps: practitioner.rpps,
  active: !practitioner.detachedAt,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who manages practices (ADMIN): they write, and read every practice. */
const MANAGE = 'practice:manage';
const READ = 'staff:read';
const managesPractices = (identity: Identity): boolean => can(identity, MANAGE);

/** Unique indexes, and the input field a violation of each is about. */
const UNIQUE_FIELDS: Record<string, { field: string; message: string }> = {
  cabinet_name_unique: { field: 'name', message: 'A practice with this name already exists' },
  practitioner_active_rpps: { field: 'rpps', message: 'This RPPS number is already attached to a practice' },
  practitioner_active_user: { field: 'userId', message: 'This account is already attached to a practice' },
};

function uniqueConflict(error: UniqueConstraintViolationException): DomainError {
  const entry = Object.entries(UNIQUE_FIELDS).find(([constraint]) => error.message.includes(constraint));
  if (!entry) return conflict('This would duplicate an existing record');
  return new DomainError('CONFLICT', entry[1].message, { field: entry[1].field });
}

export interface CabinetsServiceOptions {
  orm: MikroORM;
  log: Logger;
  /** Full topic name (with any prefix) of the cabinets events. */
  topic: string;
  auditor: Auditor;
  /** Called after a commit that recorded events, so the relay sends them at once. */
  onEventsRecorded: () => void;
}

/**
 * Practices and their practitioners. Every method checks its permission first (through the
 * Auditor, so a denial is audited); every mutation is audited in its own transaction, together
 * with the event announcing it.
 */
export class CabinetsService {
  readonly #options: CabinetsServiceOptions;

  constructor(options: CabinetsServiceOptions) {
    this.#options = options;
  }

  async create(caller: Caller, input: CabinetInput): Promise<CabinetView> {
    const target = { action: 'createCabinet', entity: 'Cabinet' };
    const cabinet = await this.#write(caller, target, async (em, actor) => {
      const data = validateCabinet(input);
      const now = new Date();
      const created = em.create(Cabinet, {
        id: randomUUID(),
        ...columnsOf(data),
        active: true,
        createdAt: now,
        createdBy: actor.userId,
        updatedAt: now,
        updatedBy: actor.userId,
        deactivatedAt: null,
        deactivatedBy: null,
      });
      this.#emit(em, caller, created.id, CABINET_CREATED, snapshot(created) satisfies CabinetCreated);
      this.#options.auditor.record(em, caller, { ...target, entityId: created.id });
      return created;
    });
    this.#options.log.info({ requestId: caller.requestId, cabinetId: cabinet.id }, 'practice created');
    return cabinetView(cabinet);
  }

  async update(caller: Caller, id: string, patch: CabinetPatch): Promise<CabinetView> {
    const target = { action: 'updateCabinet', entity: 'Cabinet', entityId: id };
    const cabinet = await this.#write(caller, target, async (em, actor) => {
      const cabinet = await this.#lockCabinet(em, id);
      if (!cabinet.active) throw conflict('A deactivated practice cannot be edited');
      const before = dataOf(cabinet);
      const after = applyCabinetPatch(before, patch);
      const changed = changedFields(before, after);
      if (changed.length > 0) {
        em.assign(cabinet, { ...columnsOf(after), updatedAt: new Date(), updatedBy: actor.userId });
        const data: CabinetUpdated = { ...snapshot(cabinet), changed };
        this.#emit(em, caller, cabinet.id, CABINET_UPDATED, data);
      }
      this.#options.auditor.record(em, caller, target);
      return cabinet;
    });
    this.#options.log.info({ requestId: caller.requestId, cabinetId: id }, 'practice updated');
    return cabinetView(cabinet);
  }

  /** Deactivates a practice (soft) and detaches its practitioners, announcing each. */
  async deactivate(caller: Caller, id: string): Promise<CabinetView> {
    const target = { action: 'deactivateCabinet', entity: 'Cabinet', entityId: id };
    const cabinet = await this.#write(caller, target, async (em, actor) => {
      const cabinet = await this.#lockCabinet(em, id);
      if (!cabinet.active) throw conflict('This practice is already deactivated');
      const now = new Date();
      em.assign(cabinet, { active: false, deactivatedAt: now, deactivatedBy: actor.userId });
      const practitioners = await em.find(
        Practitioner,
        { cabinetId: id, detachedAt: null },
        { orderBy: { attachedAt: 'asc', id: 'asc' } },
      );
      for (const practitioner of practitioners) {
        em.assign(practitioner, { detachedAt: now, detachedBy: actor.userId });
        this.#emitDetached(em, caller, practitioner);
        this.#options.auditor.record(em, caller, {
          action: 'detachPractitioner',
          entity: 'Practitioner',
          entityId: practitioner.id,
        });
      }
      const data: CabinetDeactivated = { cabinetId: id, deactivatedAt: now.toISOString() };
      this.#emit(em, caller, id, CABINET_DEACTIVATED, data);
      this.#options.auditor.record(em, caller, target);
      return cabinet;
    });
    this.#options.log.info({ requestId: caller.requestId, cabinetId: id }, 'practice deactivated');
    return cabinetView(cabinet);
  }

  async attachPractitioner(caller: Caller, input: AttachPractitionerInput): Promise<PractitionerView> {
    const target = { action: 'attachPractitioner', entity: 'Practitioner' };
    const practitioner = await this.#write(caller, target, async (em, actor) => {
      if (!UUID.test(input.userId)) throw badUserInput('userId is not a user id', 'userId');
      const specialty = validateSpecialty(input.specialty);
      const rpps = validateRpps(input.rpps);
      const cabinet = await this.#lockCabinet(em, input.cabinetId);
      if (!cabinet.active) throw conflict('Practitioners cannot be attached to a deactivated practice');
      const attached = em.create(Practitioner, {
        id: randomUUID(),
        cabinetId: cabinet.id,
        userId: input.userId.toLowerCase(),
        specialty,
        rpps,
        attachedAt: new Date(),
        attachedBy: actor.userId,
        detachedAt: null,
        detachedBy: null,
      });
      const data: PractitionerAttached = {
        practitionerId: attached.id,
        cabinetId: cabinet.id,
        userId: attached.userId,
        specialty,
        rpps,
      };
      this.#emit(em, caller, cabinet.id, PRACTITIONER_ATTACHED, data);
      this.#options.auditor.record(em, caller, { ...target, entityId: attached.id });
      return attached;
    });
    this.#options.log.info(
      { requestId: caller.requestId, practitionerId: practitioner.id, cabinetId: practitioner.cabinetId },
      'practitioner attached',
    );
    return practitionerView(practitioner);
  }

  async detachPractitioner(caller: Caller, id: string): Promise<PractitionerView> {
    const target = { action: 'detachPractitioner', entity: 'Practitioner', entityId: id };
    const practitioner = await this.#write(caller, target, async (em, actor) => {
      const practitioner = UUID.test(id)
        ? await em.findOne(Practitioner, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : null;
      if (!practitioner) throw notFound('Practitioner', id);
      if (practitioner.detachedAt) throw conflict('This practitioner is already detached');
      em.assign(practitioner, { detachedAt: new Date(), detachedBy: actor.userId });
      this.#emitDetached(em, caller, practitioner);
      this.#options.auditor.record(em, caller, target);
      return practitioner;
    });
    this.#options.log.info({ requestId: caller.requestId, practitionerId: id }, 'practitioner detached');
    return practitionerView(practitioner);
  }

  /** Practices the caller may see: all for a manager, their own for practice staff; by name. */
  async list(caller: Caller, args: { includeInactive?: boolean | null }): Promise<CabinetView[]> {
    const scope = await this.#readScope(caller, { action: READ, entity: 'Cabinet' });
    const cabinets = await this.#options.orm.em.fork().find(
      Cabinet,
      {
        ...(scope ? { id: scope } : {}),
        ...(args.includeInactive ? {} : { active: true }),
      },
      { orderBy: { name: 'asc', id: 'asc' } },
    );
    return cabinets.map(cabinetView);
  }

  /** One practice; NOT_FOUND for an unknown id and, for practice staff, for another practice. */
  async byId(caller: Caller, id: string): Promise<CabinetView> {
    const found = (await this.byIds(caller, [id])).get(id);
    if (!found) throw notFound('Cabinet', id);
    return found;
  }

  /** The caller's own practice. FORBIDDEN for an account outside any practice. */
  async mine(caller: Caller): Promise<CabinetView> {
    const target = { action: READ, entity: 'Cabinet' };
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    const cabinetId = await this.#practiceOf(caller, actor, target);
    const found = await this.#options.orm.em.fork().findOne(Cabinet, { id: cabinetId });
    if (!found) throw notFound('Cabinet', cabinetId);
    return cabinetView(found);
  }

  /**
   * Practices by id, for one batch of reference resolution: those the caller may not see are
   * left out (the resolver answers NOT_FOUND) and their denial is audited.
   */
  async byIds(caller: Caller, ids: readonly string[]): Promise<Map<string, CabinetView>> {
    const scope = await this.#readScope(caller, { action: READ, entity: 'Cabinet' });
    const outside = ids.filter((id) => scope !== null && id !== scope);
    const wanted = ids.filter((id) => UUID.test(id) && (scope === null || id === scope));
    const cabinets = wanted.length ? await this.#options.orm.em.fork().find(Cabinet, { id: { $in: wanted } }) : [];
    if (outside.length > 0) {
      await this.#options.auditor.recordAllNow(
        caller,
        outside.map((id) => ({ action: READ, entity: 'Cabinet', entityId: id })),
        'DENIED',
        'NOT_FOUND',
      );
    }
    return new Map(cabinets.map((cabinet) => [cabinet.id, cabinetView(cabinet)]));
  }

  /** The attached practitioners of practices the caller may see, per practice, earliest first. */
  async practitionersOf(caller: Caller, cabinetIds: readonly string[]): Promise<Map<string, PractitionerView[]>> {
    const scope = await this.#readScope(caller, { action: READ, entity: 'Practitioner' });
    const wanted = cabinetIds.filter((id) => UUID.test(id) && (scope === null || id === scope));
    const rows = wanted.length
      ? await this.#options.orm.em
          .fork()
          .find(
            Practitioner,
            { cabinetId: { $in: wanted }, detachedAt: null },
            { orderBy: { attachedAt: 'asc', id: 'asc' } },
          )
      : [];
    const byCabinet = new Map<string, PractitionerView[]>();
    for (const row of rows)
      byCabinet.set(row.cabinetId, [...(byCabinet.get(row.cabinetId) ?? []), practitionerView(row)]);
    return byCabinet;
  }

  /** Practitioners by id (detached ones included), those of practices the caller may see. */
  async practitionersByIds(caller: Caller, ids: readonly string[]): Promise<Map<string, PractitionerView>> {
    const scope = await this.#readScope(caller, { action: READ, entity: 'Practitioner' });
    const wanted = ids.filter((id) => UUID.test(id));
    const rows = wanted.length ? await this.#options.orm.em.fork().find(Practitioner, { id: { $in: wanted } }) : [];
    const visible = rows.filter((row) => scope === null || row.cabinetId === scope);
    const visibleIds = new Set(visible.map((row) => row.id));
    const denied = ids.filter((id) => !visibleIds.has(id) && rows.some((row) => row.id === id));
    if (denied.length > 0) {
      await this.#options.auditor.recordAllNow(
        caller,
        denied.map((id) => ({ action: READ, entity: 'Practitioner', entityId: id })),
        'DENIED',
        'NOT_FOUND',
      );
    }
    return new Map(visible.map((row) => [row.id, practitionerView(row)]));
  }

  /**
   * The practitioner of each doctor's account, those the caller may see: the current attachment,
   * or the latest one when the doctor has left (so past appointments keep their practitioner).
   */
  async practitionersByUserIds(caller: Caller, userIds: readonly string[]): Promise<Map<string, PractitionerView>> {
    const scope = await this.#readScope(caller, { action: READ, entity: 'Practitioner' });
    const wanted = userIds.filter((id) => UUID.test(id)).map((id) => id.toLowerCase());
    const rows = wanted.length
      ? await this.#options.orm.em
          .fork()
          .find(
            Practitioner,
            { userId: { $in: wanted }, ...(scope ? { cabinetId: scope } : {}) },
            { orderBy: { detachedAt: QueryOrder.DESC_NULLS_FIRST, attachedAt: QueryOrder.DESC } },
          )
      : [];
    const found = new Map<string, PractitionerView>();
    for (const row of rows) if (!found.has(row.userId)) found.set(row.userId, practitionerView(row));
    return found;
  }

  /**
   * Runs a mutation: the permission check (a denial is audited), then `work` in one transaction,
   * which records the change, its events and its audit record together.
   */
  async #write<T>(
    caller: Caller,
    target: AuditTarget,
    work: (em: EntityManager, actor: Identity) => Promise<T>,
  ): Promise<T> {
    const actor = await this.#options.auditor.authorize(caller, MANAGE, target);
    let result: T;
    try {
      result = await this.#options.orm.em.fork().transactional((em) => work(em, actor));
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw uniqueConflict(error);
      if (error instanceof DomainError && error.code === 'NOT_FOUND') {
        await this.#options.auditor.denied(caller, target, error);
      }
      throw error;
    }
    this.#options.onEventsRecorded();
    return result;
  }

  async #lockCabinet(em: EntityManager, id: string): Promise<CabinetRecord> {
    const cabinet = UUID.test(id) ? await em.findOne(Cabinet, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
    if (!cabinet) throw notFound('Cabinet', id);
    return cabinet;
  }

  #emit(em: EntityManager, caller: Caller, cabinetId: string, type: string, data: unknown): void {
    // Keyed by practice: every event of a practice, its practitioners' included, stays in order.
    recordEvent(em, this.#options.topic, cabinetId, envelope('cabinets', type, cabinetId, caller, data));
  }

  #emitDetached(em: EntityManager, caller: Caller, practitioner: PractitionerRecord): void {
    const data: PractitionerDetached = {
      practitionerId: practitioner.id,
      cabinetId: practitioner.cabinetId,
      userId: practitioner.userId,
    };
    this.#emit(em, caller, practitioner.cabinetId, PRACTITIONER_DETACHED, data);
  }

  /** null for a manager (every practice); otherwise the caller's own practice. */
  async #readScope(caller: Caller, target: AuditTarget): Promise<string | null> {
    const actor = await this.#options.auditor.authorize(caller, READ, target);
    if (managesPractices(actor)) return null;
    return this.#practiceOf(caller, actor, target);
  }

  async #practiceOf(caller: Caller, actor: Identity, target: AuditTarget): Promise<string> {
    try {
      return requireCabinet(actor);
    } catch (error) {
      await this.#options.auditor.denied(caller, target, error);
      throw error;
    }
  }
}
