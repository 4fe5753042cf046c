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

/** The parts of an account the access model constrains: role, practice, patient file. */
export interface AccountPlacement {
  role: Role;
  cabinetId: string | null;
  patientId: string | null;
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
  const email = validateEmail(input.email);
  const name = validateAccountName(input.name);
  assertPasswordPolicy(input.password, 'password');
  const placement = validatePlacement(input);
  return { email, password: input.password, name, ...placement };
}

/** A sign-in email, normalized (trimmed, lower case); at most 254 characters. */
export function validateEmail(value: string): string {
  const email = normalizeEmail(value);
  if (!EMAIL.test(email) || email.length > 254) throw badUserInput('email is not a valid email address', 'email');
  return email;
}

/** A display name: 1 to 120 characters once trimmed. */
export function validateAccountName(value: string): string {
  const name = value.trim();
  if (name.length === 0 || name.length > 120) throw badUserInput('name must be 1 to 120 characters', 'name');
  return name;
}

/**
 * The access model's rules on role, practice and patient file: ADMIN has no practice; every other
 * role has one; a PATIENT account, and only it, is linked to a patient file.
 */
export function validatePlacement(input: {
  role: string;
  cabinetId?: string | null;
  patientId?: string | null;
}): AccountPlacement {
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
  return { role, cabinetId, patientId };
}
