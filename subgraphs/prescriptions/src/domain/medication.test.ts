import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { searchPattern, validateMedication } from './medication.ts';

const refusedNaming = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

test('a catalogue entry has a name, a form and a strength, normalized', () => {
  assert.deepEqual(validateMedication({ name: ' Paracétamol ', form: 'comprimé', strength: '500  mg' }), {
    name: 'Paracétamol',
    form: 'comprimé',
    strength: '500 mg',
  });
  assert.throws(() => validateMedication({ name: '', form: 'comprimé', strength: '1 g' }), refusedNaming('name'));
  assert.throws(() => validateMedication({ name: 'A', form: null, strength: '1 g' }), refusedNaming('form'));
  assert.throws(
    () => validateMedication({ name: 'A', form: 'sirop', strength: 'x'.repeat(61) }),
    refusedNaming('strength'),
  );
});

test('a search matches anywhere, its wildcards taken literally; no search is none', () => {
  assert.equal(searchPattern(' parac '), '%parac%');
  assert.equal(searchPattern('50%_x'), '%50\\%\\_x%');
  assert.equal(searchPattern(''), null);
  assert.equal(searchPattern(null), null);
  assert.throws(() => searchPattern('x'.repeat(101)), refusedNaming('search'));
});
