import { badUserInput } from '@cabinet/platform/errors';

/** Vital signs in their fixed units; a sign not measured is null. */
export interface Vitals {
  systolicMmHg: number | null;
  diastolicMmHg: number | null;
  heartRateBpm: number | null;
  temperatureCelsius: number | null;
  weightKg: number | null;
  heightCm: number | null;
  spo2Percent: number | null;
}
export type VitalSign = keyof Vitals;
/** Signs to change: a sign absent is kept, a sign null is cleared. */
export type VitalsInput = { [K in VitalSign]?: number | null };

interface Range {
  min: number;
  max: number;
  unit: string;
  /** Whole numbers only. */
  integer: boolean;
}

/**
 * What is physiologically plausible, beyond which a value is a typing error (80 °C, 1,200 bpm)
 * rather than a measurement. Wide on purpose: an extreme but real value must go through. The
 * database checks the same ranges (migrations).
 */
export const VITAL_RANGES: Readonly<Record<VitalSign, Range>> = {
  systolicMmHg: { min: 50, max: 260, unit: 'mmHg', integer: true },
  diastolicMmHg: { min: 30, max: 160, unit: 'mmHg', integer: true },
  heartRateBpm: { min: 20, max: 250, unit: 'bpm', integer: true },
  temperatureCelsius: { min: 30, max: 45, unit: '°C', integer: false },
  weightKg: { min: 0.5, max: 400, unit: 'kg', integer: false },
  heightCm: { min: 30, max: 250, unit: 'cm', integer: false },
  spo2Percent: { min: 50, max: 100, unit: '%', integer: true },
};
export const VITAL_SIGNS = Object.keys(VITAL_RANGES) as VitalSign[];

export const NO_VITALS: Vitals = {
  systolicMmHg: null,
  diastolicMmHg: null,
  heartRateBpm: null,
  temperatureCelsius: null,
  weightKg: null,
  heightCm: null,
  spo2Percent: null,
};

/**
 * The vitals after `changes` (absent signs kept, null ones cleared), every value within its
 * range and the diastolic pressure below the systolic; else BAD_USER_INPUT naming the field
 * (`vitals.temperatureCelsius`).
 */
export function mergeVitals(current: Vitals, changes: VitalsInput, prefix = 'vitals'): Vitals {
  const merged: Vitals = { ...current };
  for (const sign of VITAL_SIGNS) {
    if (!(sign in changes) || changes[sign] === undefined) continue;
    const value = changes[sign] ?? null;
    const field = `${prefix}.${sign}`;
    if (value !== null) {
      const { min, max, unit, integer } = VITAL_RANGES[sign];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badUserInput(`${field} must be a number`, field);
      if (integer && !Number.isInteger(value)) throw badUserInput(`${field} must be a whole number of ${unit}`, field);
      if (value < min || value > max)
        throw badUserInput(`${field} must be between ${min} and ${max} ${unit} (got ${value})`, field);
    }
    merged[sign] = value === null ? null : integerOr(value, VITAL_RANGES[sign].integer);
  }
  if (merged.systolicMmHg !== null && merged.diastolicMmHg !== null && merged.diastolicMmHg >= merged.systolicMmHg) {
    const field = `${prefix}.diastolicMmHg`;
    throw badUserInput(`${field} must be below the systolic pressure`, field);
  }
  return merged;
}

const integerOr = (value: number, integer: boolean): number => (integer ? value : Math.round(value * 10) / 10);

/** Body mass index, kg/m² with one decimal, from weight and height; null without both. */
export function bmi(weightKg: number | null, heightCm: number | null): number | null {
  if (weightKg === null || heightCm === null || heightCm <= 0) return null;
  const metres = heightCm / 100;
  return Math.round((weightKg / (metres * metres)) * 10) / 10;
}

export const hasVitals = (vitals: Vitals): boolean => VITAL_SIGNS.some((sign) => vitals[sign] !== null);
