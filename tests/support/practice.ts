import { randomBytes } from 'node:crypto';
import { luhnCheckDigit } from '../../subgraphs/cabinets/src/domain/rpps.ts';

/** A random RPPS number (11 digits) with a valid Luhn key, as attaching a practitioner requires. */
export function rppsNumber(): string {
  const payload = Array.from(randomBytes(10), (byte) => String(byte % 10)).join('');
  return `${payload}${luhnCheckDigit(payload)}`;
}

/** A unique suffix of letters only, as person names accept. */
export const letters = (length = 6): string =>
  Array.from(randomBytes(length), (byte) => String.fromCharCode(97 + (byte % 26))).join('');
