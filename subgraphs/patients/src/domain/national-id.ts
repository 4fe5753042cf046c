import { badUserInput } from '@cabinet/platform/errors';

/**
 * National identifiers a practice records: the French social security number (NIR) and the INS
 * (the NIR as national health identifier), the Moroccan national identity card (CIN), a passport.
 */
export const NATIONAL_ID_TYPES = ['NIR', 'INS', 'CIN', 'PASSPORT'] as const;
export type NationalIdType = (typeof NATIONAL_ID_TYPES)[number];

export interface NationalId {
  type: NationalIdType;
  /** Normalized: no spaces, upper case. */
  value: string;
}

/** NIR/INS: sex, year, month, department (2A/2B for Corsica), commune, order, then a key mod 97. */
function validNir(value: string): boolean {
  const match = /^([12378])(\d{2})(\d{2})(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})$/.exec(value);
  if (!match) return false;
  const body = value.slice(0, 13).replace('2A', '19').replace('2B', '18');
  const key = Number(value.slice(13));
  return key === 97 - Number(BigInt(body) % 97n);
}

const RULES: Record<NationalIdType, { test: (value: string) => boolean; hint: string }> = {
  NIR: { test: validNir, hint: '15 characters with a valid key' },
  INS: { test: validNir, hint: '15 characters with a valid key' },
  CIN: { test: (value) => /^[A-Z]{1,2}\d{1,6}$/.test(value), hint: '1 or 2 letters followed by up to 6 digits' },
  PASSPORT: { test: (value) => /^[A-Z0-9]{6,9}$/.test(value), hint: '6 to 9 letters or digits' },
};

export function validateNationalId(input: { type: string; value: string }): NationalId {
  if (!NATIONAL_ID_TYPES.includes(input.type as NationalIdType)) {
    throw badUserInput('nationalId.type is not a known identifier type', 'nationalId.type');
  }
  const type = input.type as NationalIdType;
  const value = input.value.replace(/[\s.-]/g, '').toUpperCase();
  // The value itself never goes into an error message: errors are logged.
  if (!RULES[type].test(value))
    throw badUserInput(`nationalId.value is not a valid ${type} (${RULES[type].hint})`, 'nationalId.value');
  return { type, value };
}

/** What the blind index is computed over: type and value, so equal numbers of different types differ. */
export const indexInput = (id: NationalId): string => `${id.type}:${id.value}`;
