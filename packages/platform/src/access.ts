import { forbidden, notFound, unauthenticated } from './errors.ts';
import type { Caller, Identity, Role } from './identity.ts';

/**
 * Every action the platform knows, named. A role holds only what is granted below: anything not
 * listed is denied. The same names are the OAuth scopes of access tokens, so the router can check
 * `@requiresScopes` from the schema, and subgraphs call `assertCan` first thing in each service
 * method: two locks, one list.
 */
export const PERMISSIONS = [
  'staff:create',
  'staff:read',
  'staff:manage',
  'patient:register',
  'patient:read',
  'patient:readNationalId',
  'medicalRecord:read',
  'medicalRecord:write',
  'notification:read',
  'audit:search',
  'audit:readOwn',
  'keys:rotate',
  'practice:manage',
  'appointment:read',
  'appointment:write',
  'appointment:overbook',
  'appointment:selfBook',
  'appointment:readOwn',
  'patient:update',
  'patient:readOwn',
  'consultation:read',
  'consultation:write',
  'prescription:write',
  'prescription:readOwn',
  'medication:read',
  'medication:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const PRACTICE_STAFF: readonly Permission[] = ['staff:read', 'notification:read'];

/**
 * Need to know: ADMIN runs the platform (practices, staff accounts, the audit trail) and sees no
 * patient data; SECRETARY handles a practice's administrative data, never clinical content;
 * DOCTOR reads and writes clinical data of their practice; PATIENT sees only their own data.
 */
export const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  ADMIN: [
    'staff:create',
    'staff:read',
    'staff:manage',
    'audit:search',
    'keys:rotate',
    'practice:manage',
    // The medication catalogue prescribing looks up: reference data, no patient in it.
    'medication:manage',
  ],
  DOCTOR: [
    ...PRACTICE_STAFF,
    'patient:register',
    'patient:read',
    'patient:readNationalId',
    'medicalRecord:read',
    'medicalRecord:write',
    'appointment:read',
    'appointment:write',
    'appointment:overbook',
    'patient:update',
    'consultation:read',
    'consultation:write',
    'prescription:write',
    'medication:read',
  ],
  SECRETARY: [
    ...PRACTICE_STAFF,
    'patient:register',
    'patient:read',
    'patient:readNationalId',
    'appointment:read',
    'appointment:write',
    'patient:update',
    // That a consultation took place (when, with whom, its status), never what it says.
    'consultation:read',
  ],
  // A patient books online for themselves (self-bookable types only) and reads their own appointments,
  // their own file and their own prescriptions.
  PATIENT: [
    'notification:read',
    'audit:readOwn',
    'appointment:selfBook',
    'appointment:readOwn',
    'patient:readOwn',
    'prescription:readOwn',
  ],
};

/** The scopes an access token of this role carries: its permissions. */
export const scopesOf = (role: Role): string => GRANTS[role].join(' ');

export function can(identity: Identity, permission: Permission): boolean {
  return GRANTS[identity.role].includes(permission);
}

/** Returns the identity when the caller holds `permission`; throws UNAUTHENTICATED or FORBIDDEN. */
export function assertCan(caller: Caller, permission: Permission): Identity {
  const { identity } = caller;
  if (!identity) throw unauthenticated();
  if (!can(identity, permission)) throw forbidden(`Your role may not perform ${permission}`);
  return identity;
}

/** The caller's practice; a caller outside any practice has no practice data to see. */
export function requireCabinet(identity: Identity): string {
  if (!identity.cabinetId) throw forbidden('This account does not belong to a practice');
  return identity.cabinetId;
}

/**
 * Tenant isolation for a single record: another practice's record is reported as not found,
 * so an id from elsewhere reveals nothing, not even that it exists.
 */
export function assertSameCabinet<T extends { cabinetId: string }>(
  identity: Identity,
  entity: string,
  id: string,
  record: T | null | undefined,
): T {
  if (!record || record.cabinetId !== identity.cabinetId) throw notFound(entity, id);
  return record;
}
