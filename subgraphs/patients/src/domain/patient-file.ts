import { badUserInput } from '@cabinet/platform/errors';
import { type PatientIdentity, type PatientIdentityInput, validatePatientIdentity } from './patient.ts';

/**
 * The administrative part of a patient file beyond identity: address, insurance (mutuelle),
 * emergency contact and referring physician. Each is a whole: replaced or cleared at once.
 */
export interface Address {
  street: string;
  postalCode: string;
  city: string;
  country: string;
}
export interface Insurance {
  organism: string;
  memberNumber: string;
  /** YYYY-MM-DD, or null when open-ended. */
  validUntil: string | null;
}
export interface EmergencyContact {
  name: string;
  relationship: string;
  phone: string;
}
export interface ReferringPhysician {
  name: string;
  /** The 11-digit RPPS number, when known. */
  rpps: string | null;
  phone: string | null;
}

export interface PatientFileDetails {
  address: Address | null;
  insurance: Insurance | null;
  emergencyContact: EmergencyContact | null;
  referringPhysician: ReferringPhysician | null;
}

/** A patient file as stored: identity and details. */
export type PatientFileState = PatientIdentity & PatientFileDetails;

type Maybe<T> = T | null | undefined;

/** A partial update as a client sends it: an absent field is kept, a null one cleared (when it may be). */
export interface PatientUpdateInput {
  firstName?: Maybe<string>;
  lastName?: Maybe<string>;
  birthDate?: Maybe<string>;
  sex?: Maybe<string>;
  phone?: Maybe<string>;
  email?: Maybe<string>;
  address?: Maybe<Partial<Record<keyof Address, Maybe<string>>>>;
  insurance?: Maybe<Partial<Record<keyof Insurance, Maybe<string>>>>;
  emergencyContact?: Maybe<Partial<Record<keyof EmergencyContact, Maybe<string>>>>;
  referringPhysician?: Maybe<Partial<Record<keyof ReferringPhysician, Maybe<string>>>>;
}

const PHONE = /^\+?[0-9 ().-]{6,20}$/;
const POSTAL_CODE = /^[A-Za-z0-9 -]{2,10}$/;
const COUNTRY = /^[A-Z]{2}$/;
const RPPS = /^\d{11}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CONTROL = /\p{Cc}/u;

/** A required short text: trimmed, spaces collapsed, 1 to `max` characters, no control character. */
function text(value: Maybe<string>, field: string, max: number): string {
  const cleaned = (value ?? '').normalize('NFC').trim().replace(/\s+/g, ' ');
  if ([...cleaned].length === 0 || [...cleaned].length > max) {
    throw badUserInput(`${field} must be 1 to ${max} characters`, field);
  }
  if (CONTROL.test(cleaned)) throw badUserInput(`${field} contains control characters`, field);
  return cleaned;
}

function matching(value: Maybe<string>, pattern: RegExp, field: string): string {
  const trimmed = (value ?? '').trim();
  if (!pattern.test(trimmed)) throw badUserInput(`${field} is not valid`, field);
  return trimmed;
}

function optionalMatching(value: Maybe<string>, pattern: RegExp, field: string): string | null {
  return value?.trim() ? matching(value, pattern, field) : null;
}

function day(value: Maybe<string>, field: string): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  const match = DATE.exec(trimmed);
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!parsed || parsed.toISOString().slice(0, 10) !== trimmed) {
    throw badUserInput(`${field} must be a real date written YYYY-MM-DD`, field);
  }
  return trimmed;
}

export function validateAddress(input: NonNullable<PatientUpdateInput['address']>): Address {
  return {
    street: text(input.street, 'address.street', 200),
    postalCode: matching(input.postalCode, POSTAL_CODE, 'address.postalCode').toUpperCase(),
    city: text(input.city, 'address.city', 100),
    country: matching((input.country ?? 'FR').toUpperCase(), COUNTRY, 'address.country'),
  };
}

export function validateInsurance(input: NonNullable<PatientUpdateInput['insurance']>): Insurance {
  return {
    organism: text(input.organism, 'insurance.organism', 120),
    memberNumber: text(input.memberNumber, 'insurance.memberNumber', 40),
    validUntil: day(input.validUntil, 'insurance.validUntil'),
  };
}

export function validateEmergencyContact(input: NonNullable<PatientUpdateInput['emergencyContact']>): EmergencyContact {
  return {
    name: text(input.name, 'emergencyContact.name', 120),
    relationship: text(input.relationship, 'emergencyContact.relationship', 60),
    phone: matching(input.phone, PHONE, 'emergencyContact.phone'),
  };
}

export function validateReferringPhysician(
  input: NonNullable<PatientUpdateInput['referringPhysician']>,
): ReferringPhysician {
  return {
    name: text(input.name, 'referringPhysician.name', 120),
    rpps: optionalMatching(input.rpps?.replace(/\s/g, ''), RPPS, 'referringPhysician.rpps'),
    phone: optionalMatching(input.phone, PHONE, 'referringPhysician.phone'),
  };
}

const has = <K extends string>(input: object, key: K): boolean => Object.hasOwn(input, key);

/** Fields a patient file cannot be without: an update may change them, not clear them. */
const REQUIRED = ['firstName', 'lastName', 'birthDate', 'sex'] as const;

/**
 * Applies a partial update to a patient file and validates the result: absent fields are kept,
 * null ones cleared (identity fields cannot be), nested details replaced as a whole. The error
 * names the offending field and never repeats what was written.
 */
export function applyPatientUpdate(
  current: PatientFileState,
  input: PatientUpdateInput,
  today: Date,
): { next: PatientFileState; changed: string[] } {
  for (const field of REQUIRED) {
    if (has(input, field) && input[field] == null) throw badUserInput(`${field} cannot be cleared`, field);
  }
  const identityInput: PatientIdentityInput = {
    firstName: input.firstName ?? current.firstName,
    lastName: input.lastName ?? current.lastName,
    birthDate: input.birthDate ?? current.birthDate,
    sex: input.sex ?? current.sex,
    phone: has(input, 'phone') ? input.phone : current.phone,
    email: has(input, 'email') ? input.email : current.email,
  };
  const identity = validatePatientIdentity(identityInput, today);
  const next: PatientFileState = {
    ...identity,
    address: has(input, 'address') ? (input.address ? validateAddress(input.address) : null) : current.address,
    insurance: has(input, 'insurance')
      ? input.insurance
        ? validateInsurance(input.insurance)
        : null
      : current.insurance,
    emergencyContact: has(input, 'emergencyContact')
      ? input.emergencyContact
        ? validateEmergencyContact(input.emergencyContact)
        : null
      : current.emergencyContact,
    referringPhysician: has(input, 'referringPhysician')
      ? input.referringPhysician
        ? validateReferringPhysician(input.referringPhysician)
        : null
      : current.referringPhysician,
  };
  const changed = (Object.keys(next) as (keyof PatientFileState)[]).filter(
    (key) => JSON.stringify(next[key]) !== JSON.stringify(current[key]),
  );
  return { next, changed };
}

/** Why a file is archived: required, 1 to 500 characters. */
export const archiveReason = (reason: Maybe<string>): string => text(reason, 'reason', 500);

/**
 * A name search as a LIKE pattern over lower-cased, unaccented names (the database unaccents
 * both sides): the text's wildcards are escaped, spaces collapsed. Null for an empty search.
 */
export function namePattern(search: Maybe<string>): string | null {
  const cleaned = search?.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!cleaned) return null;
  if ([...cleaned].length > 100) throw badUserInput('search must be at most 100 characters', 'search');
  return `%${cleaned.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
}
