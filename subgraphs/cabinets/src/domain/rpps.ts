import { badUserInput } from '@cabinet/platform/errors';

/**
 * The Luhn check digit of a string of digits: the digit that, appended, makes the whole string
 * pass the Luhn test.
 */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let index = 0; index < payload.length; index++) {
    // From the right of the payload, every other digit is doubled, starting with the rightmost
    // (it sits just left of the check digit).
    let digit = Number(payload[payload.length - 1 - index]);
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `digits` (digits only, check digit last) passes the Luhn test. */
export const passesLuhn = (digits: string): boolean =>
  /^\d{2,}$/.test(digits) && luhnCheckDigit(digits.slice(0, -1)) === Number(digits.slice(-1));

/**
 * The RPPS number (Répertoire partagé des professionnels de santé) of a practitioner: 11 digits,
 * the last a Luhn key over the first ten. Spaces are ignored; the error names the field.
 */
export function validateRpps(value: string, field = 'rpps'): string {
  const digits = value.replace(/\s/g, '');
  if (!/^\d{11}$/.test(digits)) throw badUserInput(`${field} must be 11 digits`, field);
  if (!passesLuhn(digits)) throw badUserInput(`${field} has an invalid check digit`, field);
  return digits;
}
