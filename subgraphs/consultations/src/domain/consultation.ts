import { badUserInput, conflict, forbidden } from '@cabinet/platform/errors';
import type { CodeList, Diagnosis, DiagnosisInput } from './diagnoses.ts';
import { mergeVitals, type Vitals, type VitalsInput } from './vitals.ts';

export const CONSULTATION_TYPES = [
  'CONSULTATION',
  'FOLLOW_UP',
  'EMERGENCY',
  'TELECONSULTATION',
  'HOME_VISIT',
  'PREVENTIVE',
] as const;
export type ConsultationType = (typeof CONSULTATION_TYPES)[number];

export const CONSULTATION_STATUSES = ['DRAFT', 'SIGNED'] as const;
export type ConsultationStatus = (typeof CONSULTATION_STATUSES)[number];

export const EXAM_KINDS = ['BIOLOGY', 'IMAGING', 'ECG', 'FUNCTIONAL', 'SPECIALIST_REFERRAL', 'OTHER'] as const;
export type ExamKind = (typeof EXAM_KINDS)[number];
export interface RequestedExam {
  kind: ExamKind;
  description: string;
}

export const MAX_REASON = 500;
export const MAX_TEXT = 10_000;
export const MAX_EXAMS = 30;
export const MAX_EXAM_DESCRIPTION = 500;
export const MAX_ADDENDUM = 5000;

/** The refusal of any change to a signed consultation. */
export const SIGNED_IS_FINAL =
  'This consultation is signed and can no longer be changed; add an addendum to correct or complete it';
/** The refusal of signing twice. */
export const ALREADY_SIGNED = 'This consultation is already signed';
/** The refusal of an addendum to a draft. */
export const DRAFT_TAKES_NO_ADDENDUM = 'A draft consultation takes no addendum: edit it, or sign it first';
/** The refusal of another doctor's changes. */
export const NOT_ITS_PRACTITIONER = 'Only the practitioner who opened this consultation may change it';

/** What a consultation says; every field may be empty while it is a draft. */
export interface Content {
  type: ConsultationType;
  reason: string | null;
  examination: string | null;
  vitals: Vitals;
  diagnoses: Diagnosis[];
  observations: string | null;
  requestedExams: RequestedExam[];
}

/** Changes to a draft: a field absent is kept, a field null is cleared. */
export interface ContentChanges {
  type?: string | null;
  reason?: string | null;
  examination?: string | null;
  vitals?: VitalsInput | null;
  diagnoses?: readonly DiagnosisInput[] | null;
  observations?: string | null;
  requestedExams?: readonly { kind: string; description: string }[] | null;
}

export function validateType(type: string, field = 'type'): ConsultationType {
  if (!(CONSULTATION_TYPES as readonly string[]).includes(type))
    throw badUserInput(`${field} must be one of ${CONSULTATION_TYPES.join(', ')}`, field);
  return type as ConsultationType;
}

const text = (value: string | null | undefined, field: string, max: number): string | null => {
  const trimmed = value?.trim() || null;
  if (trimmed && trimmed.length > max) throw badUserInput(`${field} must be at most ${max} characters`, field);
  return trimmed;
};

/**
 * The content after `changes`, all of it valid, or BAD_USER_INPUT naming the first invalid field:
 * nothing of an invalid change is kept.
 */
export function applyChanges(current: Content, changes: ContentChanges, codes: CodeList): Content {
  const next: Content = { ...current };
  if (changes.type !== undefined) {
    if (changes.type === null) throw badUserInput('type may not be cleared', 'type');
    next.type = validateType(changes.type);
  }
  if (changes.reason !== undefined) next.reason = text(changes.reason, 'reason', MAX_REASON);
  if (changes.examination !== undefined) next.examination = text(changes.examination, 'examination', MAX_TEXT);
  if (changes.observations !== undefined) next.observations = text(changes.observations, 'observations', MAX_TEXT);
  if (changes.vitals !== undefined) next.vitals = mergeVitals(current.vitals, changes.vitals ?? allCleared());
  if (changes.diagnoses !== undefined) next.diagnoses = codes.validate(changes.diagnoses ?? []);
  if (changes.requestedExams !== undefined) next.requestedExams = validateExams(changes.requestedExams ?? []);
  return next;
}

const allCleared = (): VitalsInput => ({
  systolicMmHg: null,
  diastolicMmHg: null,
  heartRateBpm: null,
  temperatureCelsius: null,
  weightKg: null,
  heightCm: null,
  spo2Percent: null,
});

export function validateExams(exams: readonly { kind: string; description: string }[]): RequestedExam[] {
  if (exams.length > MAX_EXAMS) throw badUserInput(`at most ${MAX_EXAMS} requested exams`, 'requestedExams');
  return exams.map((exam, index) => {
    const field = `requestedExams[${index}]`;
    if (!(EXAM_KINDS as readonly string[]).includes(exam.kind))
      throw badUserInput(`${field}.kind must be one of ${EXAM_KINDS.join(', ')}`, `${field}.kind`);
    const description = text(exam.description, `${field}.description`, MAX_EXAM_DESCRIPTION);
    if (!description) throw badUserInput(`${field}.description is required`, `${field}.description`);
    return { kind: exam.kind as ExamKind, description };
  });
}

export function validateAddendum(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > MAX_ADDENDUM)
    throw badUserInput(`text must be 1 to ${MAX_ADDENDUM} characters`, 'text');
  return trimmed;
}

/** Who may change a consultation: the doctor who opened it, nobody else. */
export function assertItsPractitioner(consultation: { practitionerId: string }, userId: string): void {
  if (consultation.practitionerId !== userId) throw forbidden(NOT_ITS_PRACTITIONER);
}

/** A draft may be edited; a signed consultation never again. */
export function assertEditable(status: ConsultationStatus): void {
  if (status !== 'DRAFT') throw conflict(SIGNED_IS_FINAL);
}

/** A draft may be signed, once. */
export function assertSignable(status: ConsultationStatus): void {
  if (status !== 'DRAFT') throw conflict(ALREADY_SIGNED);
}

/** Only a signed consultation takes addenda. */
export function assertAmendable(status: ConsultationStatus): void {
  if (status !== 'SIGNED') throw conflict(DRAFT_TAKES_NO_ADDENDUM);
}
