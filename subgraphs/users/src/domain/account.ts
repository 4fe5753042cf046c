import { badUserInput } from '@cabinet/platform/errors';
import { isRole, type Role } from '@cabinet/platform/identity';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * The account model: ADMIN runs the platform and belongs to no practice; DOCTOR, SECRETARY and
 * PATIENT accounts belong to exactly one practice; a PATIENT account is linked to the patient
 * file (patients subgraph) whose data it may see, and only a PATIENT account is.
 */
export interface NewAccount {
  email: string;
  password: string;
  name: string;
  role: Role;
  cabinetId: string | null;
  patientId: string | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const isUuid = (value: string): boolean => UUID.test(value);

/** The password policy, for new accounts and password changes; the error names `field`. */
export function assertPasswordPolicy(password: string, field: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw badUserInput(`${field} must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, field);
  }
}

/** Validates and normalizes a new account; the error names the offending field. */
export function validateNewAccount(input: {
  email: string;
  password: string;
  name: string;
  role: string;
  cabinetId?: string | null;
  patientId?: string | null;
}): NewAccount {
  const email = normalizeEmail(input.email);
  if (!EMAIL.test(email) || email.length > 254) throw badUserInput('email is not a valid email address', 'email');
  const name = input.name.trim();
  if (name.length === 0 || name.length > 120) throw badUserInput('name must be 1 to 120 characters', 'name');
  assertPasswordPolicy(input.password, 'password');
  if (!isRole(input.role)) throw badUserInput('role is not a known role', 'role');
  const role = input.role;
  const cabinetId = input.cabinetId ?? null;
  if (cabinetId !== null && !UUID.test(cabinetId)) throw badUserInput('cabinetId is not a valid id', 'cabinetId');
  if (role === 'ADMIN' && cabinetId !== null) {
    throw badUserInput('an ADMIN account runs the platform and belongs to no practice', 'cabinetId');
  }
  if (role !== 'ADMIN' && cabinetId === null) {
    throw badUserInput(`a ${role} account must belong to a practice`, 'cabinetId');
  }
  const patientId = input.patientId ?? null;
  if (patientId !== null && !UUID.test(patientId)) throw badUserInput('patientId is not a valid id', 'patientId');
  if (role === 'PATIENT' && patientId === null) {
    throw badUserInput('a PATIENT account must be linked to its patient file', 'patientId');
  }
  if (role !== 'PATIENT' && patientId !== null) {
    throw badUserInput('only a PATIENT account is linked to a patient file', 'patientId');
  }
  return { email, password: input.password, name, role, cabinetId, patientId };
}
