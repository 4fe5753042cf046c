import { badUserInput } from '@cabinet/platform/errors';
import { isUuid, text } from './text.ts';

export const MAX_LINES = 30;
export const MAX_EXAMS = 30;
export const DOSAGE_MAX_LENGTH = 200;
export const FREQUENCY_MAX_LENGTH = 200;
export const DURATION_MAX_LENGTH = 100;
export const INSTRUCTIONS_MAX_LENGTH = 500;
export const EXAM_MAX_LENGTH = 500;

/** One medication line as the doctor writes it. */
export interface MedicationLineInput {
  /** A medication of the active catalogue. */
  medicationId?: string | null;
  /** How much per intake, e.g. "1 comprimé". */
  dosage?: string | null;
  /** e.g. "3 fois par jour". */
  frequency?: string | null;
  /** e.g. "7 jours". */
  duration?: string | null;
  instructions?: string | null;
}

export interface PrescriptionInput {
  lines?: readonly MedicationLineInput[] | null;
  /** Exams requested, one text each. */
  exams?: readonly (string | null)[] | null;
}

export interface MedicationLineEntry {
  medicationId: string;
  dosage: string;
  frequency: string;
  duration: string;
  instructions: string | null;
}

export interface PrescriptionEntry {
  lines: MedicationLineEntry[];
  exams: string[];
}

function line(input: MedicationLineInput, at: string): MedicationLineEntry {
  // A posology without its medication is the classic half-filled line: named first.
  if (!isUuid(input.medicationId)) {
    throw badUserInput(
      input.medicationId ? `${at}.medicationId must be a medication id` : `${at}.medicationId is required`,
      `${at}.medicationId`,
    );
  }
  return {
    medicationId: input.medicationId.toLowerCase(),
    dosage: text(input.dosage, `${at}.dosage`, DOSAGE_MAX_LENGTH, true),
    frequency: text(input.frequency, `${at}.frequency`, FREQUENCY_MAX_LENGTH, true),
    duration: text(input.duration, `${at}.duration`, DURATION_MAX_LENGTH, true),
    instructions: text(input.instructions, `${at}.instructions`, INSTRUCTIONS_MAX_LENGTH, false),
  };
}

/**
 * Validates a whole prescription: every medication line complete (medication, dosage, frequency,
 * duration; instructions optional), every exam a non-empty text, at least one of either. The first
 * problem is refused naming its field, e.g. `lines[0].medicationId` or `exams[1]`.
 */
export function validatePrescription(input: PrescriptionInput): PrescriptionEntry {
  const lines = input.lines ?? [];
  const exams = input.exams ?? [];
  if (lines.length > MAX_LINES) throw badUserInput(`at most ${MAX_LINES} medication lines`, 'lines');
  if (exams.length > MAX_EXAMS) throw badUserInput(`at most ${MAX_EXAMS} exam requests`, 'exams');
  const entry = {
    lines: lines.map((input, index) => line(input, `lines[${index}]`)),
    exams: exams.map((exam, index) => text(exam, `exams[${index}]`, EXAM_MAX_LENGTH, true)),
  };
  if (entry.lines.length + entry.exams.length === 0) {
    throw badUserInput('a prescription needs at least one medication line or exam request', 'lines');
  }
  return entry;
}
