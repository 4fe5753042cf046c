import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { bmi, hasVitals, mergeVitals, NO_VITALS, VITAL_RANGES, VITAL_SIGNS } from './vitals.ts';

const refusedOn = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

test('plausible vitals are kept, in their units', () => {
  const vitals = mergeVitals(NO_VITALS, {
    systolicMmHg: 128,
    diastolicMmHg: 82,
    heartRateBpm: 72,
    temperatureCelsius: 37.24,
    weightKg: 70,
    heightCm: 175,
    spo2Percent: 98,
  });
  assert.deepEqual(vitals, {
    systolicMmHg: 128,
    diastolicMmHg: 82,
    heartRateBpm: 72,
    temperatureCelsius: 37.2,
    weightKg: 70,
    heightCm: 175,
    spo2Percent: 98,
  });
  assert.ok(hasVitals(vitals));
  assert.ok(!hasVitals(NO_VITALS));
});

test('an implausible value is refused naming its field: 80 °C, 29.9 °C, 0 bpm, SpO2 over 100', () => {
  assert.throws(() => mergeVitals(NO_VITALS, { temperatureCelsius: 80 }), refusedOn('vitals.temperatureCelsius'));
  assert.throws(() => mergeVitals(NO_VITALS, { temperatureCelsius: 29.9 }), refusedOn('vitals.temperatureCelsius'));
  assert.throws(() => mergeVitals(NO_VITALS, { heartRateBpm: 0 }), refusedOn('vitals.heartRateBpm'));
  assert.throws(() => mergeVitals(NO_VITALS, { spo2Percent: 101 }), refusedOn('vitals.spo2Percent'));
  assert.throws(() => mergeVitals(NO_VITALS, { weightKg: 0.4 }), refusedOn('vitals.weightKg'));
  assert.throws(() => mergeVitals(NO_VITALS, { heightCm: 251 }), refusedOn('vitals.heightCm'));
  assert.throws(() => mergeVitals(NO_VITALS, { systolicMmHg: 300 }), refusedOn('vitals.systolicMmHg'));
  assert.throws(() => mergeVitals(NO_VITALS, { heartRateBpm: 72.5 }), refusedOn('vitals.heartRateBpm'));
  assert.throws(
    () => mergeVitals(NO_VITALS, { temperatureCelsius: Number.NaN }),
    refusedOn('vitals.temperatureCelsius'),
  );
});

test('the bounds themselves are plausible', () => {
  for (const sign of VITAL_SIGNS) {
    const { min, max } = VITAL_RANGES[sign];
    if (sign === 'diastolicMmHg') continue;
    assert.equal(mergeVitals(NO_VITALS, { [sign]: min })[sign], min, sign);
    assert.equal(mergeVitals(NO_VITALS, { [sign]: max })[sign], max, sign);
  }
});

test('the diastolic pressure must be below the systolic, also across two changes', () => {
  assert.throws(
    () => mergeVitals(NO_VITALS, { systolicMmHg: 80, diastolicMmHg: 90 }),
    refusedOn('vitals.diastolicMmHg'),
  );
  const first = mergeVitals(NO_VITALS, { systolicMmHg: 120 });
  assert.throws(() => mergeVitals(first, { diastolicMmHg: 120 }), refusedOn('vitals.diastolicMmHg'));
});

test('absent signs are kept, null ones cleared', () => {
  const first = mergeVitals(NO_VITALS, { weightKg: 70, heightCm: 175 });
  const second = mergeVitals(first, { heightCm: null, heartRateBpm: 60 });
  assert.deepEqual(second, { ...NO_VITALS, weightKg: 70, heartRateBpm: 60 });
});

test('BMI is computed from weight and height, one decimal; null without both', () => {
  assert.equal(bmi(70, 175), 22.9);
  assert.equal(bmi(95.5, 180), 29.5);
  assert.equal(bmi(70, null), null);
  assert.equal(bmi(null, 175), null);
});
