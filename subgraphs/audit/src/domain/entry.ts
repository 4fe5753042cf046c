import { ACCESS_AUDITED } from '@cabinet/platform/events';
import type { AuditFacts } from './chain.ts';

/** Whether the access was granted. */
export const OUTCOMES = ['ALLOWED', 'DENIED'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * One fact of the audit trail, as decoded from its source message and before it is chained:
 * who did what to which data, when, and whether it was allowed.
 */
export interface AuditEntry extends AuditFacts {
  /** Id of the source event (envelope id, router decision id): one record per source event. */
  sourceEventId: string;
  occurredAt: Date;
}

/** A decoded entry, or why the message is not one. */
export type Decoded = { ok: true; entry: AuditEntry } | { ok: false; problem: string };

/**
 * A request the router refused, as it publishes it (a plain JSON record, not an event envelope).
 * `fields` lists the fields the refusal was about.
 */
export interface RouterDecision {
  id: string;
  at: string;
  requestId: string;
  clientAddress: string | null;
  subject: string | null;
  claims: Record<string, unknown>;
  decision: 'DENIED';
  reason: string;
  operationName: string | null;
  fields: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A date-time with an explicit offset: a timestamp without one means nothing in an audit trail. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * Parses an ISO 8601 timestamp with its offset, to millisecond precision (what the chain hashes
 * and what PostgreSQL gives back unchanged). Years outside 1970..9999 are refused.
 */
export function parseTimestamp(value: unknown): Date | null {
  if (typeof value !== 'string' || !ISO_TIMESTAMP.test(value)) return null;
  const date = new Date(value);
  const time = date.getTime();
  if (Number.isNaN(time)) return null;
  const year = date.getUTCFullYear();
  return year >= 1970 && year <= 9999 ? date : null;
}

class Problem extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Text PostgreSQL stores exactly as given: no NUL character (refused by PostgreSQL) and no lone
 * surrogate (silently replaced on the way in, which would then no longer match its hash).
 */
function storable(value: string, name: string): string {
  if (value.includes('\0') || !value.isWellFormed())
    throw new Problem(`${name} contains characters that cannot be stored`);
  return value;
}

function required(source: Record<string, unknown>, key: string, where: string): string {
  const value = source[key];
  if (typeof value !== 'string' || value.length === 0) throw new Problem(`${where}${key} must be a non-empty string`);
  return storable(value, `${where}${key}`);
}

function optional(source: Record<string, unknown>, key: string, where: string): string | null {
  const value = source[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Problem(`${where}${key} must be a string or null`);
  return storable(value, `${where}${key}`);
}

function uuid(source: Record<string, unknown>, key: string, where: string): string {
  const value = source[key];
  if (!isUuid(value)) throw new Problem(`${where}${key} must be a UUID`);
  return value.toLowerCase();
}

function timestamp(source: Record<string, unknown>, key: string, where: string): Date {
  const value = parseTimestamp(source[key]);
  if (!value) throw new Problem(`${where}${key} must be an ISO 8601 timestamp with an offset`);
  return value;
}

function outcome(source: Record<string, unknown>, key: string, where: string): Outcome {
  const value = source[key];
  if (!OUTCOMES.includes(value as Outcome)) throw new Problem(`${where}${key} must be one of ${OUTCOMES.join(', ')}`);
  return value as Outcome;
}

function decode(build: () => AuditEntry): Decoded {
  try {
    return { ok: true, entry: build() };
  } catch (error) {
    if (error instanceof Problem) return { ok: false, problem: error.message };
    throw error;
  }
}

/** An `ACCESS_AUDITED` event envelope, as every subgraph publishes it through its outbox. */
export function fromAccessAudited(value: unknown): Decoded {
  return decode(() => {
    if (!isObject(value)) throw new Problem('not a JSON object');
    const type = value.type;
    if (type !== ACCESS_AUDITED) throw new Problem(`type must be ${ACCESS_AUDITED}, got ${String(type)}`);
    const data = value.data;
    if (!isObject(data)) throw new Problem('data must be an object');
    const where = 'data.';
    return {
      sourceEventId: uuid(value, 'id', ''),
      occurredAt: timestamp(value, 'occurredAt', ''),
      service: required(data, 'service', where),
      action: required(data, 'action', where),
      entity: required(data, 'entity', where),
      entityId: optional(data, 'entityId', where),
      patientId: optional(data, 'patientId', where),
      outcome: outcome(data, 'outcome', where),
      reason: optional(data, 'reason', where),
      userId: optional(data, 'userId', where),
      role: optional(data, 'role', where),
      cabinetId: optional(data, 'cabinetId', where),
      requestId: optional(data, 'requestId', where) ?? optional(value, 'requestId', ''),
      clientAddress: optional(data, 'clientAddress', where),
    };
  });
}

/**
 * A router decision record: a request refused before it reached any subgraph (bad token,
 * forbidden field...). Recorded as `router` / `request` on `Operation` (the operation's name).
 */
export function fromRouterDecision(value: unknown): Decoded {
  return decode(() => {
    if (!isObject(value)) throw new Problem('not a JSON object');
    if (value.decision !== 'DENIED') throw new Problem('decision must be DENIED');
    const claims = value.claims ?? {};
    if (!isObject(claims)) throw new Problem('claims must be an object');
    const claim = (key: string): string | null =>
      typeof claims[key] === 'string' ? optional(claims, key, 'claims.') : null;
    return {
      sourceEventId: uuid(value, 'id', ''),
      occurredAt: timestamp(value, 'at', ''),
      service: 'router',
      action: 'request',
      entity: 'Operation',
      entityId: optional(value, 'operationName', ''),
      patientId: null,
      outcome: 'DENIED',
      // What the client was told: free text, kept as given (a refusal is never dropped for it).
      reason: optional(value, 'reason', ''),
      userId: optional(value, 'subject', ''),
      role: claim('role'),
      cabinetId: claim('cabinet'),
      requestId: required(value, 'requestId', ''),
      clientAddress: optional(value, 'clientAddress', ''),
    };
  });
}
