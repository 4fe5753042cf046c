import { assertCan } from '@cabinet/platform/access';
import type { MikroORM } from '@cabinet/platform/database';
import { badUserInput, notFound } from '@cabinet/platform/errors';
import type { Caller } from '@cabinet/platform/identity';
import { claimEvent } from '@cabinet/platform/inbox';
import type { Logger } from '@cabinet/platform/logger';
import type { FilterQuery } from '@mikro-orm/core';
import type { AuditFacts, VerifyResult } from './domain/chain.ts';
import { type AuditEntry, OUTCOMES, type Outcome, parseTimestamp } from './domain/entry.ts';
import { AuditRecord, type AuditRecordRow } from './persistence/audit-record.entity.ts';
import { appendRecord, type PurgeResult, purgeBefore, verifyChain } from './persistence/audit-store.ts';

/** An audit record as a reader sees it (the links stay in the store). */
export interface AuditRecordView extends AuditFacts {
  id: string;
  seq: string;
  occurredAt: string;
}

/** One access to a patient's record, as the patient sees it. */
export interface RecordAccessView {
  at: string;
  action: string;
  role: string | null;
  userId: string | null;
  service: string;
}

export interface AuditFilter {
  patientId?: string | null;
  userId?: string | null;
  cabinetId?: string | null;
  action?: string | null;
  outcome?: string | null;
  from?: string | null;
  to?: string | null;
}

const view = (record: AuditRecordRow): AuditRecordView => ({
  id: record.id,
  seq: record.seq,
  occurredAt: record.occurredAt.toISOString(),
  service: record.service,
  action: record.action,
  entity: record.entity,
  entityId: record.entityId ?? null,
  patientId: record.patientId ?? null,
  outcome: record.outcome,
  reason: record.reason ?? null,
  userId: record.userId ?? null,
  role: record.role ?? null,
  cabinetId: record.cabinetId ?? null,
  requestId: record.requestId ?? null,
  clientAddress: record.clientAddress ?? null,
});

/** The inbox consumer name: one audit record per source event. */
const CONSUMER = 'audit';
export const MAX_LIMIT = 200;
export const MAX_OFFSET = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** An export (right of access) holds every access, up to this many (the newest). */
const EXPORT_LIMIT = 10_000;

function limitOf(value: number | null | undefined): number {
  const limit = value ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw badUserInput(`limit must be between 1 and ${MAX_LIMIT}`, 'limit');
  }
  return limit;
}

function offsetOf(value: number | null | undefined): number {
  const offset = value ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
    throw badUserInput(`offset must be between 0 and ${MAX_OFFSET}`, 'offset');
  }
  return offset;
}

function instant(value: string | null | undefined, field: string): Date | null {
  if (value === undefined || value === null) return null;
  const date = parseTimestamp(value);
  if (!date)
    throw badUserInput(`${field} must be an ISO 8601 timestamp with an offset, e.g. 2025-01-31T23:00:00Z`, field);
  return date;
}

/** The search filter as a query; every criterion narrows it. */
function whereOf(filter: AuditFilter): FilterQuery<AuditRecordRow> {
  const where: Record<string, unknown> = {};
  for (const key of ['patientId', 'userId', 'cabinetId', 'action'] as const) {
    const value = filter[key];
    if (value !== undefined && value !== null) where[key] = value;
  }
  if (filter.outcome !== undefined && filter.outcome !== null) {
    if (!OUTCOMES.includes(filter.outcome as Outcome)) {
      throw badUserInput(`outcome must be one of ${OUTCOMES.join(', ')}`, 'filter.outcome');
    }
    where.outcome = filter.outcome;
  }
  const from = instant(filter.from, 'filter.from');
  const to = instant(filter.to, 'filter.to');
  if (from && to && from > to) throw badUserInput('filter.from must not be after filter.to', 'filter.from');
  if (from || to) where.occurredAt = { ...(from ? { $gte: from } : {}), ...(to ? { $lte: to } : {}) };
  return where as FilterQuery<AuditRecordRow>;
}

export interface AuditServiceOptions {
  orm: MikroORM;
  log: Logger;
  /** Records older than this many days are purged from the start of the chain. */
  retentionDays: number;
  /** The clock records are dated by (tests move it). */
  now?: () => Date;
}

/**
 * The audit trail: records what every subgraph and the router report, once each, in a hash
 * chain; lets ADMIN search it and a patient see who accessed their record.
 */
export class AuditService {
  readonly #orm: MikroORM;
  readonly #log: Logger;
  readonly #retentionDays: number;
  readonly #now: () => Date;

  constructor(options: AuditServiceOptions) {
    this.#orm = options.orm;
    this.#log = options.log;
    this.#retentionDays = options.retentionDays;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Records one entry, exactly once: its source event is claimed in the same transaction that
   * appends it, so a redelivered message changes nothing. Returns whether it was recorded now.
   */
  async record(entry: AuditEntry): Promise<boolean> {
    const appended = await this.#orm.em.fork().transactional(async (em) => {
      if (!(await claimEvent(em, CONSUMER, entry.sourceEventId))) return null;
      return appendRecord(em, entry, this.#now);
    });
    if (appended) this.#log.debug({ sourceEventId: entry.sourceEventId, seq: appended.seq }, 'audit record appended');
    return appended !== null;
  }

  /** ADMIN: searches the whole trail, newest first. */
  async search(
    caller: Caller,
    args: { filter?: AuditFilter | null; limit?: number | null; offset?: number | null },
  ): Promise<AuditRecordView[]> {
    assertCan(caller, 'audit:search');
    const limit = limitOf(args.limit);
    const offset = offsetOf(args.offset);
    const records = await this.#orm.em
      .fork()
      .find(AuditRecord, whereOf(args.filter ?? {}), { orderBy: { occurredAt: 'desc', seq: 'desc' }, limit, offset });
    return records.map(view);
  }

  /**
   * PATIENT: who accessed their record, and when: the allowed accesses to the patient file the
   * account is linked to, except the patient's own. An account linked to no file has none.
   */
  async recordAccessLog(caller: Caller, args: { limit?: number | null }): Promise<RecordAccessView[]> {
    return this.#accessesOf(caller, limitOf(args.limit));
  }

  /** The access-log part of a patient's data export: every access by others, for that patient only. */
  async exportFor(caller: Caller, patientId: string): Promise<RecordAccessView[]> {
    const identity = assertCan(caller, 'audit:readOwn');
    if (identity.patientId !== patientId) throw notFound('PatientDataExport', patientId);
    return this.#accessesOf(caller, EXPORT_LIMIT);
  }

  async #accessesOf(caller: Caller, limit: number): Promise<RecordAccessView[]> {
    const identity = assertCan(caller, 'audit:readOwn');
    if (!identity.patientId) return [];
    const records = await this.#orm.em.fork().find(
      AuditRecord,
      {
        patientId: identity.patientId,
        outcome: 'ALLOWED',
        $or: [{ userId: null }, { userId: { $ne: identity.userId } }],
      },
      { orderBy: { occurredAt: 'desc', seq: 'desc' }, limit },
    );
    return records.map((record) => ({
      at: record.occurredAt.toISOString(),
      action: record.action,
      role: record.role ?? null,
      userId: record.userId ?? null,
      service: record.service,
    }));
  }

  /** Purges the records older than the retention, from the start of the chain (see purgeBefore). */
  async purgeExpired(): Promise<PurgeResult> {
    const cutoff = new Date(this.#now().getTime() - this.#retentionDays * DAY_MS);
    const result = await purgeBefore(this.#orm, cutoff, this.#retentionDays);
    if (result.purged > 0) {
      this.#log.info(
        { purged: result.purged, checkpointSeq: result.checkpoint?.seq, retentionDays: this.#retentionDays },
        'expired audit records purged',
      );
    }
    return result;
  }

  /** Verifies the hash chain; see verifyChain. */
  verify(): Promise<VerifyResult> {
    return verifyChain(this.#orm);
  }
}
