import { randomUUID } from 'node:crypto';
import { type EntityManager, type MikroORM, sql } from '@cabinet/platform/database';
import {
  type ChainAnchor,
  type ChainedRecord,
  ChainVerifier,
  contentOf,
  GENESIS,
  link,
  type VerifyResult,
} from '../domain/chain.ts';
import type { AuditEntry } from '../domain/entry.ts';

/**
 * The audit trail's storage: appending to the chain, purging its expired beginning, verifying it.
 * Every statement is raw SQL on purpose: the chain's order and links are decided here, under the
 * chain head's lock, never by a unit of work.
 */

/** Timestamps exactly as `Date#toISOString()` writes them, which is how they were hashed. */
const iso = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// Careful: these alias seq as text, so ordering must name the column (`audit_record.seq`), or it
// would sort the text ('10' before '9').
const RECORD_COLUMNS = `seq::text as seq, id, source_event_id as "sourceEventId",
  ${iso('occurred_at')} as "occurredAt", ${iso('recorded_at')} as "recordedAt",
  service, action, entity, entity_id as "entityId", patient_id as "patientId", outcome, reason,
  user_id as "userId", role, cabinet_id as "cabinetId", request_id as "requestId",
  client_address as "clientAddress", prev_hash as "prevHash", hash`;

/** Locks the end of the chain for the rest of `em`'s transaction and returns it. */
async function lockHead(em: EntityManager): Promise<ChainAnchor> {
  const [head] = await sql<ChainAnchor>(em, 'select seq::text as seq, hash from audit_chain_head for update');
  if (!head) throw new Error('audit_chain_head is empty: the audit database was not migrated');
  return head;
}

/**
 * Appends one record at the end of the chain, inside `em`'s transaction (which must be one).
 * The head is locked first, so concurrent appends take turns and each links to the one before.
 * Returns null, changing nothing, when the source event is already recorded.
 */
export async function appendRecord(
  em: EntityManager,
  entry: AuditEntry,
  now: () => Date = () => new Date(),
): Promise<ChainedRecord | null> {
  const head = await lockHead(em);
  // Taken under the lock, so recorded_at follows seq (what the purge relies on).
  const content = contentOf(entry, randomUUID(), now());
  const links = link(head, content);
  const [row] = await sql<{ seq: string }>(
    em,
    `insert into audit_record (id, source_event_id, occurred_at, recorded_at, service, action, entity, entity_id,
       patient_id, outcome, reason, user_id, role, cabinet_id, request_id, client_address, prev_hash, hash)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (source_event_id) do nothing
     returning seq::text as seq`,
    [
      content.id,
      content.sourceEventId,
      content.occurredAt,
      content.recordedAt,
      content.service,
      content.action,
      content.entity,
      content.entityId,
      content.patientId,
      content.outcome,
      content.reason,
      content.userId,
      content.role,
      content.cabinetId,
      content.requestId,
      content.clientAddress,
      links.prevHash,
      links.hash,
    ],
  );
  if (!row) return null;
  await sql(em, 'update audit_chain_head set seq = ?, hash = ?', [row.seq, links.hash]);
  return { ...content, seq: row.seq, ...links };
}

export interface PurgeResult {
  purged: number;
  /** The checkpoint written before purging, or null when nothing had expired. */
  checkpoint: ChainAnchor | null;
}

/**
 * Removes the records recorded before `cutoff`, from the start of the chain only: it stops at the
 * first record that has not expired, so the remaining chain is never holed. In one transaction,
 * it first writes a checkpoint (seq and hash of the last purged record) then deletes, through the
 * one path the append-only trigger lets through: `audit.purge` set for this transaction only, and
 * only records up to the checkpoint.
 */
export async function purgeBefore(orm: MikroORM, cutoff: Date, retentionDays: number): Promise<PurgeResult> {
  return orm.em.fork().transactional(async (em) => {
    await lockHead(em); // one purge at a time, and none while a record is being appended
    const [last] = await sql<ChainAnchor>(
      em,
      `select seq::text as seq, hash from audit_record
         where seq < coalesce((select seq from audit_record where recorded_at >= ? order by seq limit 1), 9223372036854775807)
       order by audit_record.seq desc limit 1`,
      [cutoff.toISOString()],
    );
    if (!last) return { purged: 0, checkpoint: null };
    await sql(
      em,
      `insert into audit_checkpoint (seq, hash, purged_count, retention_days)
       values (?, ?, (select count(*) from audit_record where seq <= ?), ?)`,
      [last.seq, last.hash, last.seq, retentionDays],
    );
    await sql(em, "select set_config('audit.purge', 'on', true)");
    const [deleted] = await sql<{ n: number }>(
      em,
      'with gone as (delete from audit_record where seq <= ? returning 1) select count(*)::int as n from gone',
      [last.seq],
    );
    return { purged: deleted?.n ?? 0, checkpoint: last };
  });
}

/**
 * Verifies the whole chain, from the last purge checkpoint (or the genesis) to the chain head, in
 * one consistent snapshot while appends go on. Names the first broken link.
 */
export async function verifyChain(orm: MikroORM, batchSize = 1000): Promise<VerifyResult> {
  return orm.em.fork().transactional(
    async (em) => {
      const [checkpoint] = await sql<ChainAnchor>(
        em,
        'select seq::text as seq, hash from audit_checkpoint order by audit_checkpoint.seq desc limit 1',
      );
      const [head] = await sql<ChainAnchor>(em, 'select seq::text as seq, hash from audit_chain_head');
      const start = checkpoint ?? GENESIS;
      const verifier = new ChainVerifier(start, head ?? GENESIS);
      let after = start.seq;
      for (;;) {
        const rows = await sql<ChainedRecord>(
          em,
          `select ${RECORD_COLUMNS} from audit_record where seq > ? order by audit_record.seq limit ?`,
          [after, batchSize],
        );
        for (const row of rows) {
          const broken = verifier.check(row);
          if (broken) return broken;
        }
        const last = rows.at(-1);
        if (!last || rows.length < batchSize) break;
        after = last.seq;
      }
      return verifier.finish();
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
