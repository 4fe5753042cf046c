import { badUserInput } from '@cabinet/platform/errors';

export const SEXES = ['FEMALE', 'MALE', 'OTHER', 'UNKNOWN'] as const;
export type Sex = (typeof SEXES)[number];

export interface PatientIdentity {
  firstName: string;
  lastName: string;
  birthDate: string;
  sex: Sex;
  phone: string | null;
  email: string | null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PHONE = /^\+?[0-9 ().-]{6,20}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_AGE_YEARS = 130;

function name(value: string, field: string): string {
  const trimmed = value.trim().replace(/\s+/g, ' ');
  if (trimmed.length === 0 || trimmed.length > 100) throw badUserInput(`${field} must be 1 to 100 characters`, field);
  if (/[0-9<>{}$]/.test(trimmed)) throw badUserInput(`${field} contains characters a name cannot hold`, field);
  return trimmed;
}

function birthDate(value: string, today: Date): string {
  const match = DATE.exec(value.trim());
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!match || !parsed || parsed.toISOString().slice(0, 10) !== value.trim()) {
    throw badUserInput('birthDate must be a real date written YYYY-MM-DD', 'birthDate');
  }
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (parsed.getTime() > todayUtc) throw badUserInput('birthDate cannot be in the future', 'birthDate');
  if (today.getUTCFullYear() - parsed.getUTCFullYear() > MAX_AGE_YEARS) {
    throw badUserInput(`birthDate is more than ${MAX_AGE_YEARS} years ago`, 'birthDate');
  }
  return value.trim();
}

function optional(value: string | null | undefined, pattern: RegExp, field: string): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (!pattern.test(trimmed)) throw badUserInput(`${field} is not valid`, field);
  return field === 'email' ? trimmed.toLowerCase() : trimmed;
}

/** A patient's identity as a client sends it, before validation. */
export interface PatientIdentityInput {
  firstName: string;
  lastName: string;
  birthDate: string;
  sex?: string | null;
  phone?: string | null;
  email?: string | null;
}

/** Validates and normalizes a patient's identity; the error names the offending field. */
export function validatePatientIdentity(input: PatientIdentityInput, today: Date): PatientIdentity {
  const sex = input.sex ?? 'UNKNOWN';
  if (!SEXES.includes(sex as Sex)) throw badUserInput('sex is not a known value', 'sex');
  return {
    firstName: name(input.firstName, 'firstName'),
    lastName: name(input.lastName, 'lastName'),
    birthDate: birthDate(input.birthDate, today),
    sex: sex as Sex,
    phone: optional(input.phone, PHONE, 'phone'),
    email: optional(input.email, EMAIL, 'email'),
  };
}

/** How staff see a patient in lists and notifications: "Jane DOE". */
export const displayName = (patient: Pick<PatientIdentity, 'firstName' | 'lastName'>): string =>
  `${patient.firstName} ${patient.lastName.toUpperCase()}`;
