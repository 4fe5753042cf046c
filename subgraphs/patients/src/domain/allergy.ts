import { badUserInput, conflict, type DomainError } from '@cabinet/platform/errors';

/** How severe a reaction to the substance is, least to most. */
export const ALLERGY_SEVERITIES = ['MILD', 'MODERATE', 'SEVERE', 'LIFE_THREATENING'] as const;
export type AllergySeverity = (typeof ALLERGY_SEVERITIES)[number];

export const SUBSTANCE_MAX_LENGTH = 120;
export const REACTION_MAX_LENGTH = 500;

/** An allergy as a client sends it, before validation. */
export interface AllergyInput {
  substance: string;
  reaction?: string | null;
  severity: string;
  notedOn?: string | null;
}

/** A validated allergy entry: what the medical record stores (besides who recorded it, and when). */
export interface AllergyEntry {
  /** As written (trimmed, inner spaces collapsed, Unicode NFC). */
  substance: string;
  /** What "the same substance" means: see `substanceKey`. */
  substanceKey: string;
  reaction: string | null;
  severity: AllergySeverity;
  /** YYYY-MM-DD. */
  notedOn: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Control characters (PostgreSQL text cannot even hold NUL); a reaction may hold tabs and line breaks. */
const CONTROL = /\p{Cc}/u;
const CONTROL_EXCEPT_LINES = /(?![\t\n\r])\p{Cc}/u;
/** Characters, as PostgreSQL's length() counts them (code points), not UTF-16 units. */
const length = (value: string): number => [...value].length;

/** Ligatures NFD does not decompose, as French spells them ("œuf" and "oeuf" are one substance). */
const LIGATURES: Readonly<Record<string, string>> = { œ: 'oe', æ: 'ae', ß: 'ss' };

/**
 * The comparison key of a substance: case, accents, ligatures and spacing do not make two
 * substances different ("Pénicilline", "penicilline" and " PENICILLINE " are the same).
 */
export function substanceKey(substance: string): string {
  return substance
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .replace(/[œæß]/g, (ligature) => LIGATURES[ligature] ?? ligature)
    .trim()
    .replace(/\s+/g, ' ');
}

function substance(value: string): string {
  const cleaned = value.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (length(cleaned) === 0 || length(cleaned) > SUBSTANCE_MAX_LENGTH) {
    throw badUserInput(`allergy.substance must be 1 to ${SUBSTANCE_MAX_LENGTH} characters`, 'allergy.substance');
  }
  if (CONTROL.test(cleaned)) {
    throw badUserInput('allergy.substance contains control characters', 'allergy.substance');
  }
  return cleaned;
}

function reaction(value: string | null | undefined): string | null {
  const cleaned = value?.normalize('NFC').trim();
  if (!cleaned) return null;
  if (length(cleaned) > REACTION_MAX_LENGTH) {
    throw badUserInput(`allergy.reaction must be at most ${REACTION_MAX_LENGTH} characters`, 'allergy.reaction');
  }
  if (CONTROL_EXCEPT_LINES.test(cleaned)) {
    throw badUserInput('allergy.reaction contains control characters', 'allergy.reaction');
  }
  return cleaned;
}

const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

function notedOn(value: string | null | undefined, today: Date, birthDate: string | undefined): string {
  const field = 'allergy.notedOn';
  const trimmed = value?.trim();
  if (!trimmed) return isoDay(today);
  const match = DATE.exec(trimmed);
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!parsed || isoDay(parsed) !== trimmed)
    throw badUserInput(`${field} must be a real date written YYYY-MM-DD`, field);
  // ISO dates compare as strings.
  if (trimmed > isoDay(today)) throw badUserInput(`${field} cannot be in the future`, field);
  if (birthDate && trimmed < birthDate) throw badUserInput(`${field} cannot be before the patient's birth`, field);
  return trimmed;
}

/**
 * Validates and normalizes an allergy; the error names the offending field (`allergy.substance`...)
 * and never repeats what was written, since errors may be logged.
 */
export function validateAllergy(input: AllergyInput, today: Date, birthDate?: string): AllergyEntry {
  if (!ALLERGY_SEVERITIES.includes(input.severity as AllergySeverity)) {
    throw badUserInput('allergy.severity is not a known severity', 'allergy.severity');
  }
  const cleaned = substance(input.substance);
  const key = substanceKey(cleaned);
  // Nothing but combining marks (accents without letters) names no substance.
  if (key.length === 0) throw badUserInput('allergy.substance names no substance', 'allergy.substance');
  return {
    substance: cleaned,
    substanceKey: key,
    reaction: reaction(input.reaction),
    severity: input.severity as AllergySeverity,
    notedOn: notedOn(input.notedOn, today, birthDate),
  };
}

/** The refusal of a substance already recorded (and not removed) for the patient. */
export const alreadyRecorded = (substance: string): DomainError =>
  conflict(`${substance} is already recorded as an allergy of this patient`);

/**
 * A patient has each substance at most once among their active allergies; `active` are those
 * (not removed). Throws CONFLICT naming the substance as it was first recorded.
 */
export function assertNotRecorded(active: readonly { substance: string }[], entry: AllergyEntry): void {
  const existing = active.find((allergy) => substanceKey(allergy.substance) === entry.substanceKey);
  if (existing) throw alreadyRecorded(existing.substance);
}

const RANK: Readonly<Record<AllergySeverity, number>> = { MILD: 0, MODERATE: 1, SEVERE: 2, LIFE_THREATENING: 3 };

/** The order a clinician reads allergies in: most severe first, then by substance. */
export function byClinicalPriority(
  a: { severity: AllergySeverity; substance: string },
  b: { severity: AllergySeverity; substance: string },
): number {
  return (
    RANK[b.severity] - RANK[a.severity] ||
    substanceKey(a.substance).localeCompare(substanceKey(b.substance)) ||
    a.substance.localeCompare(b.substance)
  );
}
