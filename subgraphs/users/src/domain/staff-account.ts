import { badUserInput, forbidden } from '@cabinet/platform/errors';
import type { Role } from '@cabinet/platform/identity';
import { assertPasswordPolicy, isUuid, validateAccountName, validateEmail, validatePlacement } from './account.ts';

/** An account as an administrator edits it. */
export interface AccountState {
  email: string;
  name: string;
  role: Role;
  cabinetId: string | null;
  patientId: string | null;
  phone: string | null;
}

/**
 * An administrator's edit of an account: a field left out stays as it is; `null` clears an
 * optional field (practice, patient file, phone) and is refused for a required one. `password`
 * null or empty keeps the current password.
 */
export interface AccountChange {
  email?: string | null;
  name?: string | null;
  role?: string | null;
  cabinetId?: string | null;
  patientId?: string | null;
  phone?: string | null;
  password?: string | null;
}

/** The edited account, validated as a whole; `password` is the new one, or null to keep the current one. */
export interface AccountEdit extends AccountState {
  password: string | null;
}

/** The part of an account its owner edits: how they are named, reached and sign. */
export interface Profile {
  name: string;
  phone: string | null;
  signature: string | null;
}

/** An edit of one's own profile: left out stays; `null` or empty clears phone or signature; name cannot be cleared. */
export interface ProfileChange {
  name?: string | null;
  phone?: string | null;
  signature?: string | null;
}

export const MAX_PHONE_LENGTH = 30;
export const MAX_SIGNATURE_LENGTH = 200;

const PHONE_CHARACTERS = /^\+?[0-9 .()-]+$/;
/** French national numbers (0X XX XX XX XX), and international ones: + or 00, country code, up to 15 digits (E.164). */
const PHONE_DIGITS = [/^0[1-9][0-9]{8}$/, /^\+[1-9][0-9]{7,14}$/, /^00[1-9][0-9]{7,14}$/];
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A phone number as people write it (spaces, dots, dashes, a parenthesized trunk 0), that is a
 * plausible French or international number; empty means none.
 */
export function validatePhone(value: string | null | undefined): string | null {
  const phone = (value ?? '').trim().replace(/\s+/g, ' ');
  if (phone === '') return null;
  const digits = phone.replace(/[ .()-]/g, '');
  if (
    phone.length > MAX_PHONE_LENGTH ||
    !PHONE_CHARACTERS.test(phone) ||
    !PHONE_DIGITS.some((pattern) => pattern.test(digits))
  ) {
    throw badUserInput('phone must be a French (01 23 45 67 89) or international (+33 1 23 45 67 89) number', 'phone');
  }
  return phone;
}

/**
 * The line printed under a doctor's name on prescriptions, e.g. "Dr A. Martin — Médecin
 * généraliste": one line, spaces collapsed, at most MAX_SIGNATURE_LENGTH characters; empty means none.
 */
export function validateSignature(value: string | null | undefined): string | null {
  const raw = value ?? '';
  if (CONTROL.test(raw.trim())) throw badUserInput('signature must be a single line of text', 'signature');
  const signature = raw.trim().replace(/\s+/g, ' ');
  if (signature === '') return null;
  if (signature.length > MAX_SIGNATURE_LENGTH) {
    throw badUserInput(`signature must be at most ${MAX_SIGNATURE_LENGTH} characters`, 'signature');
  }
  return signature;
}

function refuseClearing<T extends object>(change: T, fields: readonly (keyof T & string)[]): void {
  for (const field of fields) {
    if (change[field] === null) throw badUserInput(`${field} cannot be cleared`, field);
  }
}

const kept = <T>(value: T | undefined, current: T): T => (value === undefined ? current : value);

/** Applies an administrator's edit with the rules of a new account; the error names the offending field. */
export function applyAccountChange(current: AccountState, change: AccountChange): AccountEdit {
  refuseClearing(change, ['email', 'name', 'role']);
  const password = change.password ? change.password : null;
  if (password !== null) assertPasswordPolicy(password, 'password');
  return {
    email: change.email == null ? current.email : validateEmail(change.email),
    name: change.name == null ? current.name : validateAccountName(change.name),
    ...validatePlacement({
      role: change.role ?? current.role,
      cabinetId: kept(change.cabinetId, current.cabinetId),
      patientId: kept(change.patientId, current.patientId),
    }),
    phone: change.phone === undefined ? current.phone : validatePhone(change.phone),
    password,
  };
}

/** Applies an edit of one's own profile; the error names the offending field. */
export function applyProfileChange(current: Profile, change: ProfileChange): Profile {
  refuseClearing(change, ['name']);
  return {
    name: change.name == null ? current.name : validateAccountName(change.name),
    phone: change.phone === undefined ? current.phone : validatePhone(change.phone),
    signature: change.signature === undefined ? current.signature : validateSignature(change.signature),
  };
}

/** What the staff list may be narrowed by. */
export interface StaffFilter {
  cabinetId?: string | null;
  role?: string | null;
  text?: string | null;
  active?: boolean | null;
}

/** One page of the staff list, as the database is asked for it. */
export interface StaffQuery {
  /** Only this practice's accounts; null for every account of the platform (ADMIN only). */
  cabinetId: string | null;
  /** The roles listed; empty lists nothing. */
  roles: Role[];
  /** A LIKE pattern (wildcards of the text escaped) matched against name and email, both unaccented and lower-cased. */
  pattern: string | null;
  active: boolean | null;
  limit: number;
  offset: number;
}

export const DEFAULT_STAFF_PAGE = 50;
export const MAX_STAFF_PAGE = 100;
export const MAX_STAFF_OFFSET = 10_000;
export const MAX_SEARCH_LENGTH = 100;

const ALL_ROLES: readonly Role[] = ['ADMIN', 'DOCTOR', 'SECRETARY', 'PATIENT'];
/** What practice staff see of their colleagues: the staff, not the patients' accounts nor the platform's. */
const PRACTICE_STAFF_ROLES: readonly Role[] = ['DOCTOR', 'SECRETARY'];

/**
 * The page of accounts `viewer` asked for, within what they may see: an ADMIN sees every account,
 * of any practice; practice staff see the DOCTOR and SECRETARY accounts of their own practice.
 * Returns `otherPractice` when staff name another practice (answered as not found).
 */
export function staffQueryFor(
  viewer: { role: Role; cabinetId: string | null },
  filter: StaffFilter,
  page: { limit?: number | null; offset?: number | null },
): StaffQuery | { otherPractice: string } {
  const limit = page.limit ?? DEFAULT_STAFF_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_STAFF_PAGE) {
    throw badUserInput(`limit must be between 1 and ${MAX_STAFF_PAGE}`, 'limit');
  }
  const offset = page.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_STAFF_OFFSET) {
    throw badUserInput(`offset must be between 0 and ${MAX_STAFF_OFFSET}`, 'offset');
  }
  const wanted = filter.cabinetId ?? null;
  if (wanted !== null && !isUuid(wanted)) throw badUserInput('filter.cabinetId is not a valid id', 'filter.cabinetId');
  const role = filter.role ?? null;
  if (role !== null && !ALL_ROLES.includes(role as Role)) {
    throw badUserInput('filter.role is not a known role', 'filter.role');
  }
  const text = (filter.text ?? '').trim().replace(/\s+/g, ' ');
  if (text.length > MAX_SEARCH_LENGTH) {
    throw badUserInput(`filter.text must be at most ${MAX_SEARCH_LENGTH} characters`, 'filter.text');
  }
  let cabinetId = wanted;
  let visible = ALL_ROLES;
  if (viewer.role !== 'ADMIN') {
    if (!viewer.cabinetId) throw forbidden('This account does not belong to a practice');
    if (wanted !== null && wanted !== viewer.cabinetId) return { otherPractice: wanted };
    cabinetId = viewer.cabinetId;
    visible = PRACTICE_STAFF_ROLES;
  }
  return {
    cabinetId,
    roles: visible.filter((r) => role === null || r === role),
    pattern: text ? `%${text.replace(/[\\%_]/g, '\\$&')}%` : null,
    active: filter.active ?? null,
    limit,
    offset,
  };
}
