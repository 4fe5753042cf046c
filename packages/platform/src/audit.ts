import { assertCan, type Permission } from './access.ts';
import type { EntityManager, MikroORM } from './database.ts';
import { DomainError } from './errors.ts';
import { ACCESS_AUDITED, type AccessAudited, envelope } from './events.ts';
import type { Caller, Identity } from './identity.ts';
import { recordEvent } from './outbox.ts';

/** What an access is about. */
export interface AuditTarget {
  action: string;
  entity: string;
  entityId?: string | null;
  patientId?: string | null;
}

export interface AuditorOptions {
  service: string;
  orm: MikroORM;
  /** Full topic name (with any prefix) of the audit trail. */
  topic: string;
  /** Called after an audit record was committed on its own, so the relay sends it at once. */
  onRecorded: () => void;
}

/**
 * Records every mutation and every read of protected data, allowed or denied, through the
 * outbox: an allowed write is audited in the same transaction as the write itself, so there is
 * no change without its trace and no trace of a change that rolled back.
 */
export class Auditor {
  readonly #options: AuditorOptions;

  constructor(options: AuditorOptions) {
    this.#options = options;
  }

  /** Adds an audit record to `em`'s unit of work (the caller's transaction). */
  record(
    em: EntityManager,
    caller: Caller,
    target: AuditTarget,
    outcome: AccessAudited['outcome'] = 'ALLOWED',
    reason: string | null = null,
  ): void {
    const identity = caller.identity;
    const data: AccessAudited = {
      service: this.#options.service,
      action: target.action,
      entity: target.entity,
      entityId: target.entityId ?? null,
      patientId: target.patientId ?? null,
      outcome,
      reason,
      userId: identity?.userId ?? null,
      role: identity?.role ?? null,
      cabinetId: identity?.cabinetId ?? null,
      requestId: caller.requestId,
      clientAddress: caller.clientAddress,
    };
    const event = envelope(this.#options.service, ACCESS_AUDITED, identity?.cabinetId ?? null, caller, data);
    recordEvent(em, this.#options.topic, target.patientId ?? target.entityId ?? caller.requestId, event);
  }

  /** Records on its own transaction (reads, denials). */
  async recordNow(
    caller: Caller,
    target: AuditTarget,
    outcome: AccessAudited['outcome'] = 'ALLOWED',
    reason: string | null = null,
  ): Promise<void> {
    await this.recordAllNow(caller, [target], outcome, reason);
  }

  /** Several records in one transaction, e.g. one per patient of a list that was read. */
  async recordAllNow(
    caller: Caller,
    targets: AuditTarget[],
    outcome: AccessAudited['outcome'] = 'ALLOWED',
    reason: string | null = null,
  ): Promise<void> {
    if (targets.length === 0) return;
    await this.#options.orm.em.fork().transactional(async (em) => {
      for (const target of targets) this.record(em, caller, target, outcome, reason);
    });
    this.#options.onRecorded();
  }

  /**
   * The permission check every service method starts with: allowed, it returns the identity;
   * denied, it leaves a DENIED record and throws the same error the caller gets.
   */
  async authorize(caller: Caller, permission: Permission, target: AuditTarget): Promise<Identity> {
    try {
      return assertCan(caller, permission);
    } catch (error) {
      await this.denied(caller, target, error);
      throw error;
    }
  }

  /** Records a denial decided after the permission check (e.g. another practice's record). */
  async denied(caller: Caller, target: AuditTarget, error: unknown): Promise<void> {
    const reason = error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR';
    await this.recordNow(caller, target, 'DENIED', reason);
  }

  /** Records a refusal decided after the permission check, and throws it. */
  async refuse(caller: Caller, target: AuditTarget, error: Error): Promise<never> {
    await this.denied(caller, target, error);
    throw error;
  }
}
