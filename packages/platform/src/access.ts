import { forbidden, notFound, unauthenticated } from './errors.ts';
import type { Caller, Identity, Role } from './identity.ts';

/**
 * Every action the platform knows, named. A role holds only what is granted below: anything not
 * listed is denied. Subgraphs call `assertCan` first thing in each service method.
 */
export const PERMISSIONS = [
  'staff:create',
  'staff:read',
  'patient:register',
  'patient:read',
  'notification:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const STAFF_DEFAULTS: readonly Permission[] = ['patient:register', 'patient:read', 'notification:read', 'staff:read'];

export const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  ADMIN: ['staff:create', ...STAFF_DEFAULTS],
  DOCTOR: STAFF_DEFAULTS,
  SECRETARY: STAFF_DEFAULTS,
  PATIENT: ['notification:read'],
};

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
