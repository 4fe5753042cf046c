import { badUserInput } from '@cabinet/platform/errors';

/**
 * The sections of a medical record besides allergies. Every entry is structured (no free-text
 * record), dated, attributed (who recorded it, when), and removed softly.
 */
export const RECORD_SECTIONS = [
  'MEDICAL_HISTORY',
  'SURGICAL_HISTORY',
  'FAMILY_HISTORY',
  'TREATMENT',
  'HABIT',
  'DOCUMENT',
] as const;
export type RecordSection = (typeof RECORD_SECTIONS)[number];

export const HISTORY_KINDS = ['MEDICAL', 'SURGICAL', 'FAMILY'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];
export const HABIT_KINDS = ['TOBACCO', 'ALCOHOL', 'PHYSICAL_ACTIVITY', 'OTHER'] as const;
export type HabitKind = (typeof HABIT_KINDS)[number];
export const DOCUMENT_KINDS = ['LAB_RESULT', 'IMAGING', 'REPORT', 'LETTER', 'PRESCRIPTION', 'OTHER'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const historySection = (kind: HistoryKind): RecordSection => `${kind}_HISTORY` as RecordSection;

/** The columns of a record entry a section uses; the others are null. */
export interface RecordEntryFields {
  section: RecordSection;
  condition: string | null;
  code: string | null;
  relation: string | null;
  /** History: when it occurred, a year (YYYY) or a day (YYYY-MM-DD). */
  occurred: string | null;
  medication: string | null;
  dosage: string | null;
  /** Treatment: YYYY-MM-DD. */
  since: string | null;
  until: string | null;
  habit: HabitKind | null;
  label: string | null;
  value: string | null;
  title: string | null;
  documentKind: DocumentKind | null;
  documentDate: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  storageRef: string | null;
}

const EMPTY: Omit<RecordEntryFields, 'section'> = {
  condition: null,
  code: null,
  relation: null,
  occurred: null,
  medication: null,
  dosage: null,
  since: null,
  until: null,
  habit: null,
  label: null,
  value: null,
  title: null,
  documentKind: null,
  documentDate: null,
  contentType: null,
  sizeBytes: null,
  storageRef: null,
};

type Maybe<T> = T | null | undefined;
const CONTROL = /\p{Cc}/u;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const YEAR = /^\d{4}$/;
/** A free reference code (ICD-10-like), not validated against a list here. */
const CODE = /^[A-Za-z0-9.+-]{1,16}$/;
const CONTENT_TYPE = /^[a-z]+\/[a-z0-9.+-]+$/i;
const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

function text(value: Maybe<string>, field: string, max: number): string {
  const cleaned = (value ?? '').normalize('NFC').trim().replace(/\s+/g, ' ');
  if ([...cleaned].length === 0 || [...cleaned].length > max) {
    throw badUserInput(`${field} must be 1 to ${max} characters`, field);
  }
  if (CONTROL.test(cleaned)) throw badUserInput(`${field} contains control characters`, field);
  return cleaned;
}

const optionalText = (value: Maybe<string>, field: string, max: number): string | null =>
  value?.trim() ? text(value, field, max) : null;

/** A day, YYYY-MM-DD, real, not in the future, not before birth; null when absent. */
function day(value: Maybe<string>, field: string, today: Date, birthDate: string, future = false): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  const match = DAY.exec(trimmed);
  const parsed = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!parsed || isoDay(parsed) !== trimmed)
    throw badUserInput(`${field} must be a real date written YYYY-MM-DD`, field);
  if (!future && trimmed > isoDay(today)) throw badUserInput(`${field} cannot be in the future`, field);
  if (trimmed < birthDate) throw badUserInput(`${field} cannot be before the patient's birth`, field);
  return trimmed;
}

/** When a history event occurred: a year or a day, not in the future. Family history may precede birth. */
function occurred(value: Maybe<string>, field: string, today: Date, birthDate: string | null): string | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (YEAR.test(trimmed)) {
    const year = Number(trimmed);
    if (year > today.getUTCFullYear()) throw badUserInput(`${field} cannot be in the future`, field);
    if (birthDate && trimmed < birthDate.slice(0, 4)) {
      throw badUserInput(`${field} cannot be before the patient's birth`, field);
    }
    if (year < 1850) throw badUserInput(`${field} is not a plausible year`, field);
    return trimmed;
  }
  return day(trimmed, field, today, birthDate ?? '1850-01-01');
}

export interface HistoryInput {
  kind: string;
  condition: string;
  code?: Maybe<string>;
  relation?: Maybe<string>;
  occurred?: Maybe<string>;
}

export function validateHistory(input: HistoryInput, today: Date, birthDate: string): RecordEntryFields {
  if (!HISTORY_KINDS.includes(input.kind as HistoryKind)) {
    throw badUserInput('history.kind is not a known kind', 'history.kind');
  }
  const kind = input.kind as HistoryKind;
  const code = input.code?.trim() ? input.code.trim().toUpperCase() : null;
  if (code && !CODE.test(code)) throw badUserInput('history.code is not a valid reference code', 'history.code');
  const relation =
    kind === 'FAMILY'
      ? text(input.relation, 'history.relation', 60)
      : rejectPresent(input.relation, 'history.relation');
  return {
    ...EMPTY,
    section: historySection(kind),
    condition: text(input.condition, 'history.condition', 200),
    code,
    relation,
    occurred: occurred(input.occurred, 'history.occurred', today, kind === 'FAMILY' ? null : birthDate),
  };
}

function rejectPresent(value: Maybe<string>, field: string): null {
  if (value?.trim()) throw badUserInput(`${field} applies to family history only`, field);
  return null;
}

export interface TreatmentInput {
  medication: string;
  dosage?: Maybe<string>;
  since?: Maybe<string>;
  until?: Maybe<string>;
}

export function validateTreatment(input: TreatmentInput, today: Date, birthDate: string): RecordEntryFields {
  const since = day(input.since, 'treatment.since', today, birthDate) ?? isoDay(today);
  const until = day(input.until, 'treatment.until', today, birthDate, true);
  if (until && until < since) throw badUserInput('treatment.until cannot be before treatment.since', 'treatment.until');
  return {
    ...EMPTY,
    section: 'TREATMENT',
    medication: text(input.medication, 'treatment.medication', 200),
    dosage: optionalText(input.dosage, 'treatment.dosage', 200),
    since,
    until,
  };
}

/** The end of a treatment: a day not before it started; today when omitted. */
export function treatmentEnd(value: Maybe<string>, since: string, today: Date): string {
  const until = day(value, 'until', today, '0000-01-01', true) ?? isoDay(today);
  if (until < since) throw badUserInput('until cannot be before the treatment started', 'until');
  return until;
}

export interface HabitInput {
  kind: string;
  label?: Maybe<string>;
  value: string;
}

export function validateHabit(input: HabitInput): RecordEntryFields {
  if (!HABIT_KINDS.includes(input.kind as HabitKind)) {
    throw badUserInput('habit.kind is not a known habit', 'habit.kind');
  }
  const habit = input.kind as HabitKind;
  return {
    ...EMPTY,
    section: 'HABIT',
    habit,
    label: habit === 'OTHER' ? text(input.label, 'habit.label', 80) : optionalText(input.label, 'habit.label', 80),
    value: text(input.value, 'habit.value', 200),
  };
}

export interface DocumentInput {
  title: string;
  kind: string;
  date?: Maybe<string>;
  contentType: string;
  sizeBytes: number;
  storageRef: string;
}

/** The largest document the record references (the file itself lives in a store). */
export const DOCUMENT_MAX_BYTES = 50 * 1024 * 1024;

export function validateDocument(input: DocumentInput, today: Date, birthDate: string): RecordEntryFields {
  if (!DOCUMENT_KINDS.includes(input.kind as DocumentKind)) {
    throw badUserInput('document.kind is not a known kind', 'document.kind');
  }
  const contentType = input.contentType?.trim().toLowerCase();
  if (!contentType || !CONTENT_TYPE.test(contentType) || contentType.length > 100) {
    throw badUserInput('document.contentType is not a media type', 'document.contentType');
  }
  if (!Number.isInteger(input.sizeBytes) || input.sizeBytes < 1 || input.sizeBytes > DOCUMENT_MAX_BYTES) {
    throw badUserInput(`document.sizeBytes must be 1 to ${DOCUMENT_MAX_BYTES}`, 'document.sizeBytes');
  }
  const storageRef = text(input.storageRef, 'document.storageRef', 500);
  if (/\s/.test(storageRef)) throw badUserInput('document.storageRef cannot hold spaces', 'document.storageRef');
  return {
    ...EMPTY,
    section: 'DOCUMENT',
    title: text(input.title, 'document.title', 200),
    documentKind: input.kind as DocumentKind,
    documentDate: day(input.date, 'document.date', today, birthDate) ?? isoDay(today),
    contentType,
    sizeBytes: input.sizeBytes,
    storageRef,
  };
}
