import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { displayName, validatePatientIdentity } from './patient.ts';

const today = new Date('2026-11-25T10:00:00Z');
const valid = {
  firstName: '  Zoé ',
  lastName: 'Lefèvre  Martin',
  birthDate: '1990-02-28',
  phone: '+33 6 12 34 56 78',
  email: 'Zoe@Example.FR',
};

test('a valid identity is normalized', () => {
  const patient = validatePatientIdentity(valid, today);
  assert.deepEqual(patient, {
    firstName: 'Zoé',
    lastName: 'Lefèvre Martin',
    birthDate: '1990-02-28',
    sex: 'UNKNOWN',
    phone: '+33 6 12 34 56 78',
    email: 'zoe@example.fr',
  });
  assert.equal(displayName(patient), 'Zoé LEFÈVRE MARTIN');
});

test('a birth date of today is accepted (a newborn)', () => {
  assert.equal(validatePatientIdentity({ ...valid, birthDate: '2026-11-25' }, today).birthDate, '2026-11-25');
});

for (const [field, patch] of [
  ['firstName', { firstName: '' }],
  ['lastName', { lastName: 'x'.repeat(101) }],
  ['lastName', { lastName: 'Robert<script>' }],
  ['birthDate', { birthDate: '1990-02-30' }],
  ['birthDate', { birthDate: '26/11/1990' }],
  ['birthDate', { birthDate: '2026-11-26' }],
  ['birthDate', { birthDate: '1850-01-01' }],
  ['sex', { sex: 'X' }],
  ['phone', { phone: 'call me' }],
  ['email', { email: 'nope' }],
] as const) {
  test(`invalid ${field} ${JSON.stringify(patch)} is refused, naming the field`, () => {
    assert.throws(
      () => validatePatientIdentity({ ...valid, ...patch }, today),
      (error: unknown) =>
        error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field,
    );
  });
}
