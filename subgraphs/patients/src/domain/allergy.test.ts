import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import {
  type AllergyInput,
  type AllergySeverity,
  assertNotRecorded,
  byClinicalPriority,
  substanceKey,
  validateAllergy,
} from './allergy.ts';

const today = new Date('2026-11-25T22:30:00Z');
const valid: AllergyInput = {
  substance: '  Pénicilline   G ',
  reaction: '  Urticaire généralisée\nœdème des lèvres ',
  severity: 'SEVERE',
  notedOn: '2019-03-14',
};

test('a valid allergy is normalized', () => {
  assert.deepEqual(validateAllergy(valid, today), {
    substance: 'Pénicilline G',
    substanceKey: 'penicilline g',
    reaction: 'Urticaire généralisée\nœdème des lèvres',
    severity: 'SEVERE',
    notedOn: '2019-03-14',
  });
});

test('reaction is optional, and notedOn defaults to today (UTC)', () => {
  const entry = validateAllergy({ substance: 'Latex', severity: 'MILD', reaction: '   ', notedOn: null }, today);
  assert.equal(entry.reaction, null);
  assert.equal(entry.notedOn, '2026-11-25');
  assert.equal(validateAllergy({ substance: 'Latex', severity: 'MILD' }, today).notedOn, '2026-11-25');
});

test('limits are inclusive, counted in characters (not UTF-16 units)', () => {
  assert.equal(validateAllergy({ ...valid, substance: 'é'.repeat(120) }, today).substance.length, 120);
  assert.equal(validateAllergy({ ...valid, substance: '🥜'.repeat(120) }, today).substance, '🥜'.repeat(120));
  // The key may be longer than the substance (ligatures unfold): only the substance is limited.
  assert.equal(validateAllergy({ ...valid, substance: 'œ'.repeat(120) }, today).substanceKey, 'oe'.repeat(120));
  assert.equal(validateAllergy({ ...valid, reaction: 'x'.repeat(500) }, today).reaction?.length, 500);
  assert.equal(validateAllergy({ ...valid, notedOn: '2026-11-25' }, today).notedOn, '2026-11-25');
});

test('every severity is accepted', () => {
  for (const severity of ['MILD', 'MODERATE', 'SEVERE', 'LIFE_THREATENING']) {
    assert.equal(validateAllergy({ ...valid, severity }, today).severity, severity);
  }
});

test('a decomposed accent is stored composed (NFC), so lengths and display agree', () => {
  const decomposed = 'Pe\u0301nicilline';
  assert.equal(validateAllergy({ ...valid, substance: decomposed }, today).substance, 'Pénicilline');
});

test('notedOn may not precede the birth date when it is known', () => {
  assert.equal(validateAllergy({ ...valid, notedOn: '2000-01-01' }, today, '2000-01-01').notedOn, '2000-01-01');
  assert.throws(
    () => validateAllergy({ ...valid, notedOn: '1999-12-31' }, today, '2000-01-01'),
    (error: unknown) => error instanceof DomainError && error.details.field === 'allergy.notedOn',
  );
});

for (const [field, patch] of [
  ['allergy.substance', { substance: '' }],
  ['allergy.substance', { substance: '    ' }],
  ['allergy.substance', { substance: 'x'.repeat(121) }],
  ['allergy.substance', { substance: 'Pollen\u0000' }],
  ['allergy.substance', { substance: '\u0301\u0308' }],
  ['allergy.reaction', { reaction: 'x'.repeat(501) }],
  ['allergy.reaction', { reaction: 'rash\u0007' }],
  ['allergy.severity', { severity: 'DEADLY' }],
  ['allergy.severity', { severity: 'mild' }],
  ['allergy.notedOn', { notedOn: '2026-11-26' }],
  ['allergy.notedOn', { notedOn: '2019-02-29' }],
  ['allergy.notedOn', { notedOn: '14/03/2019' }],
  ['allergy.notedOn', { notedOn: '2019-3-14' }],
] as const) {
  test(`invalid ${field} ${JSON.stringify(patch).slice(0, 60)} is refused, naming the field`, () => {
    assert.throws(
      () => validateAllergy({ ...valid, ...patch }, today),
      (error: unknown) =>
        error instanceof DomainError &&
        error.code === 'BAD_USER_INPUT' &&
        error.details.field === field &&
        !error.message.includes('Pénicilline') &&
        !error.message.includes('Urticaire'),
    );
  });
}

test('the substance key ignores case, accents, ligatures and spacing', () => {
  const key = substanceKey('Pénicilline');
  for (const same of ['penicilline', 'PÉNICILLINE', 'Pe\u0301nicilline', ' pénicilline ', 'PENICILLINE']) {
    assert.equal(substanceKey(same), key, same);
  }
  assert.equal(substanceKey('Œufs  de caille'), substanceKey('oeufs de CAILLE'));
  assert.equal(substanceKey('Ibuprofène'), 'ibuprofene');
  assert.notEqual(substanceKey('Pénicilline'), substanceKey('Amoxicilline'));
});

test('a substance already active for the patient is a CONFLICT naming it as first recorded', () => {
  const active = [{ substance: 'Arachide' }, { substance: 'Pénicilline' }];
  assert.throws(
    () => assertNotRecorded(active, validateAllergy({ ...valid, substance: 'PENICILLINE' }, today)),
    (error: unknown) =>
      error instanceof DomainError &&
      error.code === 'CONFLICT' &&
      error.message === 'Pénicilline is already recorded as an allergy of this patient',
  );
  assert.doesNotThrow(() => assertNotRecorded(active, validateAllergy({ ...valid, substance: 'Latex' }, today)));
  assert.doesNotThrow(() => assertNotRecorded([], validateAllergy(valid, today)));
});

test('clinical order: most severe first, then by substance ignoring accents', () => {
  const allergies: { severity: AllergySeverity; substance: string }[] = [
    { severity: 'MILD', substance: 'Pollen' },
    { severity: 'SEVERE', substance: 'Iode' },
    { severity: 'LIFE_THREATENING', substance: 'Arachide' },
    { severity: 'SEVERE', substance: 'Érythromycine' },
    { severity: 'MODERATE', substance: 'Latex' },
  ];
  assert.deepEqual(
    allergies.sort(byClinicalPriority).map((allergy) => allergy.substance),
    ['Arachide', 'Érythromycine', 'Iode', 'Latex', 'Pollen'],
  );
});
