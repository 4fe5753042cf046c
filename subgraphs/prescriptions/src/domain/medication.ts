import { text } from './text.ts';

export const NAME_MAX_LENGTH = 120;
export const FORM_MAX_LENGTH = 60;
export const STRENGTH_MAX_LENGTH = 60;
export const SEARCH_MAX_LENGTH = 100;

/** A medication of the catalogue as an administrator writes it. */
export interface MedicationInput {
  name?: string | null;
  /** Galenic form: tablet, capsule, syrup... */
  form?: string | null;
  /** e.g. "500 mg". */
  strength?: string | null;
}

export interface MedicationEntry {
  name: string;
  form: string;
  strength: string;
}

/** Validates and normalizes a catalogue entry; the error names the offending field. */
export function validateMedication(input: MedicationInput): MedicationEntry {
  return {
    name: text(input.name, 'name', NAME_MAX_LENGTH, true),
    form: text(input.form, 'form', FORM_MAX_LENGTH, true),
    strength: text(input.strength, 'strength', STRENGTH_MAX_LENGTH, true),
  };
}

/**
 * The LIKE pattern of a catalogue search (matched anywhere, compared unaccented and lower-cased
 * by the database); null for no search at all.
 */
export function searchPattern(search: string | null | undefined): string | null {
  const cleaned = text(search, 'search', SEARCH_MAX_LENGTH, false);
  return cleaned ? `%${cleaned.replace(/[\\%_]/g, '\\$&')}%` : null;
}
