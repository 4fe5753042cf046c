import { badUserInput } from '@cabinet/platform/errors';
import { isRole, type Role } from '@cabinet/platform/identity';

export const MIN_PASSWORD_LENGTH = 12;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export interface NewAccount {
  email: string;
  password: string;
  name: string;
  role: Role;
  cabinetId: string | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Validates and normalizes a new account; the error names the offending field. */
export function validateNewAccount(input: {
  email: string;
  password: string;
  name: string;
  role: string;
  cabinetId?: string | null;
}): NewAccount {
  const email = normalizeEmail(input.email);
  if (!EMAIL.test(email) || email.length > 254) throw badUserInput('email is not a valid email address', 'email');
  const name = input.name.trim();
  if (name.length === 0 || name.length > 120) throw badUserInput('name must be 1 to 120 characters', 'name');
  if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > 256) {
    throw badUserInput(`password must be ${MIN_PASSWORD_LENGTH} to 256 characters`, 'password');
  }
  if (!isRole(input.role)) throw badUserInput('role is not a known role', 'role');
  const cabinetId = input.cabinetId ?? null;
  if (cabinetId !== null && !UUID.test(cabinetId)) throw badUserInput('cabinetId is not a valid id', 'cabinetId');
  if (input.role !== 'ADMIN' && cabinetId === null) throw badUserInput('staff must belong to a practice', 'cabinetId');
  return { email, password: input.password, name, role: input.role, cabinetId };
}
