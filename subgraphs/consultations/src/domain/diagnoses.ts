import { badUserInput } from '@cabinet/platform/errors';

/** An entry of the ICD-10 code list. */
export interface DiagnosisCode {
  code: string;
  label: string;
}
/** A recorded diagnosis: a code of the list, its label, the doctor's precision. */
export interface Diagnosis extends DiagnosisCode {
  note: string | null;
}
export interface DiagnosisInput {
  code: string;
  note?: string | null;
}

export const MAX_DIAGNOSES = 20;
export const MAX_NOTE = 500;

/** An ICD-10(-CM) code as written: a letter, two digits, then an optional dot and 1 to 4 characters. */
const ICD10 = /^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$/;

/** Upper case, without spaces; `j069` is read as `J06.9`. */
export function normalizeCode(raw: string): string {
  const compact = raw.trim().toUpperCase().replace(/\s+/g, '');
  if (!compact.includes('.') && compact.length > 3) return `${compact.slice(0, 3)}.${compact.slice(3)}`;
  return compact;
}

/** Lower case, accents off: "Œdème" and "oedeme" compare equal. */
export const fold = (text: string): string =>
  text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae');

/** The code list, parsed from its TSV form (code, tab, label); a malformed line is an error. */
export class CodeList {
  readonly #byCode: Map<string, DiagnosisCode>;
  readonly #folded: { entry: DiagnosisCode; code: string; label: string }[];

  constructor(entries: readonly DiagnosisCode[]) {
    this.#byCode = new Map();
    for (const entry of entries) {
      if (!ICD10.test(entry.code)) throw new Error(`malformed ICD-10 code ${entry.code}`);
      if (this.#byCode.has(entry.code)) throw new Error(`duplicate ICD-10 code ${entry.code}`);
      if (!entry.label.trim()) throw new Error(`ICD-10 code ${entry.code} has no label`);
      this.#byCode.set(entry.code, entry);
    }
    this.#folded = [...this.#byCode.values()].map((entry) => ({
      entry,
      code: fold(entry.code.replace('.', '')),
      label: fold(entry.label),
    }));
  }

  static parse(tsv: string): CodeList {
    const entries = tsv
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => {
        const [code, label] = line.split('\t');
        if (!code || !label) throw new Error(`malformed code list line: ${line}`);
        return { code: code.trim(), label: label.trim() };
      });
    return new CodeList(entries);
  }

  get size(): number {
    return this.#byCode.size;
  }

  get(code: string): DiagnosisCode | undefined {
    return this.#byCode.get(normalizeCode(code));
  }

  /**
   * Codes whose code or label contains `search` (case- and accent-insensitive): codes starting
   * with it first (by code), then the others by code; at most `limit`.
   */
  search(search: string, limit: number): DiagnosisCode[] {
    const text = fold(search.trim());
    if (text.length < 2 || text.length > 100) throw badUserInput('search must be 2 to 100 characters', 'search');
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw badUserInput('limit must be 1 to 50', 'limit');
    const asCode = text.replace(/[.\s]/g, '');
    const starting: DiagnosisCode[] = [];
    const others: DiagnosisCode[] = [];
    for (const { entry, code, label } of this.#folded) {
      if (code.startsWith(asCode)) starting.push(entry);
      else if (label.includes(text) || code.includes(asCode)) others.push(entry);
    }
    const byCode = (a: DiagnosisCode, b: DiagnosisCode) => a.code.localeCompare(b.code);
    return [...starting.sort(byCode), ...others.sort(byCode)].slice(0, limit);
  }

  /**
   * Diagnoses to record: each code in the list, once, with its label; else BAD_USER_INPUT naming
   * the field (`diagnoses[1].code`).
   */
  validate(inputs: readonly DiagnosisInput[]): Diagnosis[] {
    if (inputs.length > MAX_DIAGNOSES) throw badUserInput(`at most ${MAX_DIAGNOSES} diagnoses`, 'diagnoses');
    const seen = new Set<string>();
    return inputs.map((input, index) => {
      const field = `diagnoses[${index}]`;
      const found = this.get(input.code ?? '');
      if (!found) throw badUserInput(`${field}.code: ${input.code} is not a known ICD-10 code`, `${field}.code`);
      if (seen.has(found.code)) throw badUserInput(`${field}.code: ${found.code} is given twice`, `${field}.code`);
      seen.add(found.code);
      const note = input.note?.trim() || null;
      if (note && note.length > MAX_NOTE)
        throw badUserInput(`${field}.note must be at most ${MAX_NOTE} characters`, `${field}.note`);
      return { code: found.code, label: found.label, note };
    });
  }
}
