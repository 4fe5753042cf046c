import { badUserInput } from '@cabinet/platform/errors';
import { type OpeningDay, type OpeningDayInput, validateOpeningHours } from './opening-hours.ts';

export interface Address {
  street: string;
  postalCode: string;
  city: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

/** A practice's descriptive data, validated and normalized. */
export interface CabinetData {
  name: string;
  specialty: string;
  address: Address;
  phone: string | null;
  email: string | null;
  logoUrl: string | null;
  openingHours: OpeningDay[];
  timeZone: string;
}

/** A practice as a client sends it to create one, before validation. */
export interface CabinetInput {
  name: string;
  specialty: string;
  address: Address;
  phone?: string | null;
  email?: string | null;
  logoUrl?: string | null;
  openingHours?: readonly OpeningDayInput[] | null;
  timeZone: string;
}

/** An edit: a field left out stays as it is; `null` clears an optional field. */
export type CabinetPatch = Partial<CabinetInput>;

const PHONE = /^\+?[0-9 ().-]{6,20}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/;
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

function text(value: string | null | undefined, field: string, min: number, max: number): string {
  const trimmed = (value ?? '').trim().replace(/\s+/g, ' ');
  if (trimmed.length < min || trimmed.length > max) {
    throw badUserInput(`${field} must be ${min} to ${max} characters`, field);
  }
  if (/[<>{}$]/.test(trimmed)) throw badUserInput(`${field} contains characters it cannot hold`, field);
  return trimmed;
}

/** A practice name: 2 to 120 characters, spaces collapsed. Unique ignoring case (see `nameKey`). */
export const validateName = (value: string): string => text(value, 'name', 2, 120);

/** What names are compared on: two practices cannot have names equal ignoring case. */
export const nameKey = (name: string): string => name.toLowerCase();

export const validateSpecialty = (value: string, field = 'specialty'): string => text(value, field, 2, 100);

export function validateAddress(input: Address): Address {
  const postalCode = (input.postalCode ?? '').trim().toUpperCase();
  if (!POSTAL_CODE.test(postalCode)) throw badUserInput('address.postalCode is not valid', 'address.postalCode');
  const country = (input.country ?? '').trim().toUpperCase();
  const region = /^[A-Z]{2}$/.test(country) ? regions.of(country) : undefined;
  if (!region || region === 'Unknown Region') {
    throw badUserInput('address.country must be an ISO 3166-1 alpha-2 country code', 'address.country');
  }
  return {
    street: text(input.street, 'address.street', 1, 200),
    postalCode,
    city: text(input.city, 'address.city', 1, 100),
    country,
  };
}

/** An IANA time zone the runtime knows (Intl.supportedValuesOf('timeZone'), plus UTC). */
export function validateTimeZone(value: string): string {
  const trimmed = (value ?? '').trim();
  if (!TIME_ZONES.has(trimmed)) throw badUserInput('timeZone must be an IANA time zone, e.g. Europe/Paris', 'timeZone');
  return trimmed;
}

/** A logo address: an absolute https URL, without credentials, at most 2048 characters. */
export function validateLogoUrl(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw badUserInput('logoUrl must be an absolute URL', 'logoUrl');
  }
  if (url.protocol !== 'https:') throw badUserInput('logoUrl must use https', 'logoUrl');
  if (url.username || url.password) throw badUserInput('logoUrl cannot carry credentials', 'logoUrl');
  if (trimmed.length > 2048) throw badUserInput('logoUrl is longer than 2048 characters', 'logoUrl');
  return url.href;
}

function optional(value: string | null | undefined, pattern: RegExp, field: string): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (!pattern.test(trimmed)) throw badUserInput(`${field} is not valid`, field);
  return field === 'email' ? trimmed.toLowerCase() : trimmed;
}

/** Validates and normalizes a whole practice; the error names the offending field. */
export function validateCabinet(input: CabinetInput): CabinetData {
  if (!input.address) throw badUserInput('address is required', 'address');
  return {
    name: validateName(input.name),
    specialty: validateSpecialty(input.specialty),
    address: validateAddress(input.address),
    phone: optional(input.phone, PHONE, 'phone'),
    email: optional(input.email, EMAIL, 'email'),
    logoUrl: validateLogoUrl(input.logoUrl),
    openingHours: validateOpeningHours(input.openingHours ?? []),
    timeZone: validateTimeZone(input.timeZone),
  };
}

/**
 * Applies an edit to a practice: fields left out (undefined) are kept; required fields cannot be
 * cleared (`null` is refused, naming the field); the result is validated as a whole.
 */
export function applyCabinetPatch(current: CabinetData, patch: CabinetPatch): CabinetData {
  for (const field of ['name', 'specialty', 'address', 'timeZone', 'openingHours'] as const) {
    if (patch[field] === null) throw badUserInput(`${field} cannot be cleared`, field);
  }
  return validateCabinet({
    name: patch.name ?? current.name,
    specialty: patch.specialty ?? current.specialty,
    address: patch.address ?? current.address,
    phone: patch.phone === undefined ? current.phone : patch.phone,
    email: patch.email === undefined ? current.email : patch.email,
    logoUrl: patch.logoUrl === undefined ? current.logoUrl : patch.logoUrl,
    openingHours: patch.openingHours ?? current.openingHours,
    timeZone: patch.timeZone ?? current.timeZone,
  });
}

/** The fields whose value differs between two versions of a practice, in a stable order. */
export function changedFields(before: CabinetData, after: CabinetData): (keyof CabinetData)[] {
  return (Object.keys(after) as (keyof CabinetData)[]).filter(
    (field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]),
  );
}
