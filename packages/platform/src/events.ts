import { randomUUID } from 'node:crypto';
import type { Caller } from './identity.ts';

/**
 * The envelope every domain event travels in. `id` is unique per event and is what consumers
 * deduplicate on; `key` orders events of one aggregate on one partition.
 */
export interface EventEnvelope<TData = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  source: string;
  cabinetId: string | null;
  actor: { userId: string; role: string } | null;
  requestId: string | null;
  data: TData;
}

export function envelope<TData>(
  source: string,
  type: string,
  cabinetId: string | null,
  caller: Caller | null,
  data: TData,
): EventEnvelope<TData> {
  return {
    id: randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    source,
    cabinetId,
    actor: caller?.identity ? { userId: caller.identity.userId, role: caller.identity.role } : null,
    requestId: caller?.requestId ?? null,
    data,
  };
}

/** Topics, one per publishing bounded context. Consumers read the event `type` to dispatch. */
export const TOPICS = {
  patients: 'cabinet.patients.v1',
  audit: 'cabinet.audit.v1',
} as const;

export const topicName = (prefix: string, topic: string): string => `${prefix}${topic}`;

/** Event contracts: the payloads producers promise and consumers rely on. */
export const PATIENT_REGISTERED = 'patients.PatientRegistered.v1';
export interface PatientRegistered {
  patientId: string;
  cabinetId: string;
  /** Display name for notifications; the patient's full record stays in the patients subgraph. */
  displayName: string;
}

export function isEnvelope(value: unknown): value is EventEnvelope {
  const candidate = value as EventEnvelope;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    typeof candidate.type === 'string' &&
    typeof candidate.occurredAt === 'string' &&
    typeof candidate.data === 'object'
  );
}

/** One access to protected data or one mutation, allowed or denied: the audit trail's unit. */
export const ACCESS_AUDITED = 'audit.AccessAudited.v1';
export interface AccessAudited {
  /** Subgraph that decided. */
  service: string;
  /** Permission or operation, e.g. `patient:read`, `registerPatient`. */
  action: string;
  entity: string;
  entityId: string | null;
  /** The patient whose data was touched, when there is one (for the patient's own access log). */
  patientId: string | null;
  outcome: 'ALLOWED' | 'DENIED';
  /** For a denial: the error code (FORBIDDEN, NOT_FOUND, UNAUTHENTICATED) or a finer reason (THROTTLED, TOKEN_REUSED...). */
  reason: string | null;
  userId: string | null;
  role: string | null;
  cabinetId: string | null;
  requestId: string;
  clientAddress: string | null;
}
