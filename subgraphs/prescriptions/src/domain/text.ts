import { badUserInput } from '@cabinet/platform/errors';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * One line of text as stored: NFC, trimmed, inner whitespace collapsed, no control characters,
 * at most `max` characters. Empty is null, or refused naming `field` when `required`.
 */
export function text(value: string | null | undefined, field: string, max: number, required: true): string;
export function text(value: string | null | undefined, field: string, max: number, required: boolean): string | null;
export function text(value: string | null | undefined, field: string, max: number, required: boolean): string | null {
  const cleaned = value?.normalize('NFC').trim().replace(/\s+/g, ' ') ?? '';
  if (cleaned.length === 0) {
    if (required) throw badUserInput(`${field} must not be empty`, field);
    return null;
  }
  if ([...cleaned].length > max) throw badUserInput(`${field} must be at most ${max} characters`, field);
  if (CONTROL.test(cleaned)) throw badUserInput(`${field} contains control characters`, field);
  return cleaned;
}
