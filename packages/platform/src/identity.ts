import type { CallerClaims } from './caller-token.ts';

export const ROLES = ['ADMIN', 'DOCTOR', 'SECRETARY', 'PATIENT'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

/** Access-token claims this platform relies on, and that the router is configured to forward. */
export const IDENTITY_CLAIMS = ['role', 'cabinet', 'patient', 'sid'] as const;

/** Who is calling, as established by the router from a verified access token. */
export interface Identity {
  userId: string;
  role: Role;
  /** The practice (tenant) the user belongs to; null only for platform-level accounts. */
  cabinetId: string | null;
  /** For a PATIENT account, the patient file it is linked to. */
  patientId?: string | null;
  /** The sign-in session (refresh-token family) the access token belongs to. */
  sessionId?: string | null;
}

/** What every subgraph knows about a request: who, and which request (for logs and audit). */
export interface Caller {
  requestId: string;
  identity: Identity | null;
  clientAddress: string | null;
}

/** Interprets the router's verified caller token in this platform's terms. */
export function callerFromClaims(token: CallerClaims): Caller {
  const { subject, requestId, clientAddress, claims } = token;
  if (!subject) return { requestId, clientAddress, identity: null };
  if (!isRole(claims.role)) throw new Error('caller token carries no valid role');
  const cabinetId = typeof claims.cabinet === 'string' ? claims.cabinet : null;
  const patientId = typeof claims.patient === 'string' ? claims.patient : null;
  const sessionId = typeof claims.sid === 'string' ? claims.sid : null;
  return {
    requestId,
    clientAddress,
    identity: { userId: subject, role: claims.role, cabinetId, patientId, sessionId },
  };
}
