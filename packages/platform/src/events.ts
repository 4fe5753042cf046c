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
  /** YYYY-MM-DD: printed on prescriptions beside the name, as French ordonnances carry it. */
  birthDate: string;
}

export const PATIENT_UPDATED = 'patients.PatientUpdated.v1';
/** A patient file was updated, archived or restored: what others show of it, no clinical content. */
export interface PatientUpdated {
  patientId: string;
  cabinetId: string;
  displayName: string;
  archived: boolean;
  /** YYYY-MM-DD. */
  birthDate: string;
}

export const MEDICAL_RECORD_UPDATED = 'patients.MedicalRecordUpdated.v1';
/**
 * An entry of a patient's medical record was added, changed or removed. Which section and entry,
 * never what it says: consumers that need the content read it through the API, audited.
 */
export interface MedicalRecordUpdated {
  patientId: string;
  cabinetId: string;
  /** MEDICAL_HISTORY, SURGICAL_HISTORY, FAMILY_HISTORY, TREATMENT, HABIT, DOCUMENT or ALLERGY. */
  section: string;
  entryId: string;
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

/** The users subgraph's topic, keyed by user id. */
export const USERS_TOPIC = 'cabinet.users.v1';

export const STAFF_PROFILE_CHANGED = 'users.StaffProfileChanged.v1';
/**
 * A staff account was created or its profile changed (by an administrator or by its owner): what
 * other subgraphs show of a doctor or secretary (the prescriptions document prints the name and
 * signature line). The whole current profile, so a consumer upserts without calling back.
 */
export interface StaffProfileChanged {
  userId: string;
  role: string;
  cabinetId: string | null;
  name: string;
  /** The signature line printed on the doctor's prescriptions; null when none was set. */
  signature: string | null;
}
