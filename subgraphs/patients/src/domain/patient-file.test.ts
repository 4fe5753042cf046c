import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { applyPatientUpdate, namePattern, type PatientFileState } from './patient-file.ts';

const today = new Date('2026-11-25T10:00:00Z');
const current: PatientFileState = {
  firstName: 'Hélène',
  lastName: 'Dupré',
  birthDate: '1975-06-01',
  sex: 'FEMALE',
  phone: null,
  email: 'h@example.fr',
  address: null,
  insurance: { organism: 'MGEN', memberNumber: '42', validUntil: null },
  emergencyContact: null,
  referringPhysician: null,
};

test('absent fields are kept, null clears, nested details are replaced whole and normalized', () => {
  const { next, changed } = applyPatientUpdate(
    current,
    { email: null, address: { street: ' 1  rue ', postalCode: '75001', city: 'Paris', country: 'fr' } },
    today,
  );
  assert.equal(next.email, null);
  assert.deepEqual(next.address, { street: '1 rue', postalCode: '75001', city: 'Paris', country: 'FR' });
  assert.deepEqual(next.insurance, current.insurance);
  assert.deepEqual(changed.sort(), ['address', 'email']);
});

test('an empty update changes nothing', () => {
  assert.deepEqual(applyPatientUpdate(current, {}, today).changed, []);
});

for (const [field, input] of [
  ['firstName', { firstName: null }],
  ['sex', { sex: null }],
  ['sex', { sex: 'X' }],
  ['birthDate', { birthDate: '2030-01-01' }],
  ['emergencyContact.phone', { emergencyContact: { name: 'Paul', relationship: 'époux', phone: 'abc' } }],
  ['emergencyContact.relationship', { emergencyContact: { name: 'Paul', relationship: ' ', phone: '0601020304' } }],
  ['insurance.organism', { insurance: { organism: '', memberNumber: '1' } }],
  ['insurance.validUntil', { insurance: { organism: 'MGEN', memberNumber: '1', validUntil: '31/12/2027' } }],
  ['referringPhysician.rpps', { referringPhysician: { name: 'Dr A', rpps: '1234567890' } }],
  ['referringPhysician.phone', { referringPhysician: { name: 'Dr A', phone: 'x' } }],
  ['address.postalCode', { address: { street: '1 rue', postalCode: '75_001', city: 'Paris' } }],
] as const) {
  test(`invalid ${field} ${JSON.stringify(input).slice(0, 70)} is refused, naming the field`, () => {
    assert.throws(
      () => applyPatientUpdate(current, input, today),
      (error: unknown) =>
        error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field,
    );
  });
}

test('a name search is a LIKE pattern with its wildcards escaped', () => {
  assert.equal(namePattern('  Hél  ène '), '%hél ène%');
  assert.equal(namePattern('50%_a\\'), '%50\\%\\_a\\\\%');
  assert.equal(namePattern('   '), null);
  assert.equal(namePattern(null), null);
});
