import { createHash } from 'node:crypto';
import type { AuditEntry, Outcome } from './entry.ts';

/**
 * The hash chain that makes the audit trail tamper-evident. Each record's hash covers its content
 * and the hash of the record before it, so changing, removing or inserting a record anywhere
 * breaks every link from there on. Pure: no database here, only the rules.
 */

/** What the first record of a chain links to, when no checkpoint precedes it. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields a record's hash covers, in the order they are hashed. Never reorder: append only. */
export const CONTENT_FIELDS = [
  'id',
  'sourceEventId',
  'occurredAt',
  'recordedAt',
  'service',
  'action',
  'entity',
  'entityId',
  'patientId',
  'outcome',
  'reason',
  'userId',
  'role',
  'cabinetId',
  'requestId',
  'clientAddress',
] as const;

/** Who did what to which data, and whether it was allowed: the facts every form of a record shares. */
export interface AuditFacts {
  service: string;
  action: string;
  entity: string;
  entityId: string | null;
  patientId: string | null;
  outcome: Outcome;
  reason: string | null;
  userId: string | null;
  role: string | null;
  cabinetId: string | null;
  requestId: string | null;
  clientAddress: string | null;
}

/** A record's content as hashed: timestamps as `Date#toISOString()` (UTC, milliseconds). */
export interface AuditContent extends AuditFacts {
  id: string;
  sourceEventId: string;
  occurredAt: string;
  recordedAt: string;
}

/** A stored record: its content, its place in the chain (`seq`) and its links. */
export interface ChainedRecord extends AuditContent {
  /** Position in the chain; a bigint, carried as its decimal text. */
  seq: string;
  prevHash: string;
  hash: string;
}

/** A known point of the chain: the genesis, a purge checkpoint, or the chain head. */
export interface ChainAnchor {
  seq: string;
  hash: string;
}

export const GENESIS: ChainAnchor = { seq: '0', hash: GENESIS_HASH };

export type VerifyResult =
  | { ok: true; count: number }
  /** `id` is null when the break is a record that is missing, not one that is there. */
  | { ok: false; brokenAt: string; id: string | null; reason: string };

/** The content of the record an entry becomes, with its own id and the time it was recorded. */
export function contentOf(entry: AuditEntry, id: string, recordedAt: Date): AuditContent {
  return {
    id,
    sourceEventId: entry.sourceEventId,
    occurredAt: entry.occurredAt.toISOString(),
    recordedAt: recordedAt.toISOString(),
    service: entry.service,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId,
    patientId: entry.patientId,
    outcome: entry.outcome,
    reason: entry.reason,
    userId: entry.userId,
    role: entry.role,
    cabinetId: entry.cabinetId,
    requestId: entry.requestId,
    clientAddress: entry.clientAddress,
  };
}

/**
 * The canonical JSON of a record's content: exactly the content fields, in their fixed order,
 * absent values as null, nothing else (so extra properties of the argument change nothing).
 */
export function canonicalJson(content: AuditContent): string {
  const ordered: Record<string, string | null> = {};
  for (const field of CONTENT_FIELDS) ordered[field] = content[field] ?? null;
  return JSON.stringify(ordered);
}

/** sha256, in lowercase hex, of the previous hash followed by the canonical content. */
export function hashRecord(prevHash: string, content: AuditContent): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(content)).digest('hex');
}

/** Chains `content` after `previous`: the links a new record is stored with. */
export function link(previous: ChainAnchor, content: AuditContent): { prevHash: string; hash: string } {
  return { prevHash: previous.hash, hash: hashRecord(previous.hash, content) };
}

const broken = (brokenAt: string, id: string | null, reason: string): VerifyResult => ({
  ok: false,
  brokenAt,
  id,
  reason,
});

/**
 * Checks a chain record by record, in `seq` order, from a starting anchor (genesis or the last
 * purge checkpoint), so a chain of any length can be streamed through it. The first broken link
 * found is the answer; `head`, when given, is where the chain must end.
 */
export class ChainVerifier {
  readonly #head: ChainAnchor | null;
  #previous: ChainAnchor;
  #count = 0;
  #broken: VerifyResult | null = null;

  constructor(start: ChainAnchor, head: ChainAnchor | null = null) {
    this.#previous = start;
    this.#head = head;
  }

  /** Checks the next record; returns the break, if this record is (or an earlier one was) one. */
  check(record: ChainedRecord): VerifyResult | null {
    if (this.#broken) return this.#broken;
    const previous = this.#previous;
    const seq = BigInt(record.seq);
    let reason: string | null = null;
    if (seq <= BigInt(previous.seq)) {
      reason = `out of order: seq ${record.seq} follows seq ${previous.seq}`;
    } else if (record.prevHash !== previous.hash) {
      reason =
        previous.seq === '0'
          ? 'prev_hash is not the genesis hash: records before it are missing or it was altered'
          : `prev_hash does not match the hash of seq ${previous.seq}: a record between them is missing, or the link was altered`;
    } else if (record.hash !== hashRecord(record.prevHash, record)) {
      reason = 'content does not match its hash: the record was altered';
    } else if (this.#head && seq > BigInt(this.#head.seq)) {
      reason = `beyond the chain head (seq ${this.#head.seq}): the record was not appended through the chain`;
    }
    if (reason) {
      this.#broken = broken(record.seq, record.id, reason);
      return this.#broken;
    }
    this.#previous = { seq: record.seq, hash: record.hash };
    this.#count += 1;
    return null;
  }

  /** The verdict once every record was checked. */
  finish(): VerifyResult {
    if (this.#broken) return this.#broken;
    const head = this.#head;
    if (head && (head.seq !== this.#previous.seq || head.hash !== this.#previous.hash)) {
      return broken(
        head.seq,
        null,
        head.seq === this.#previous.seq
          ? `the chain head's hash does not match the hash of seq ${head.seq}`
          : `records after seq ${this.#previous.seq} up to the chain head (seq ${head.seq}) are missing`,
      );
    }
    return { ok: true, count: this.#count };
  }
}

/** Verifies a whole chain held in memory. */
export function verifyRecords(
  start: ChainAnchor,
  records: Iterable<ChainedRecord>,
  head: ChainAnchor | null = null,
): VerifyResult {
  const verifier = new ChainVerifier(start, head);
  for (const record of records) {
    const result = verifier.check(record);
    if (result) return result;
  }
  return verifier.finish();
}
