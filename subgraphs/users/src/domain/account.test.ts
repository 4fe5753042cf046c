import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { assertPasswordPolicy, validateNewAccount } from './account.ts';

const CABINET = '4f9c2b1e-8a3d-4c6e-9b7a-1d2e3f4a5b6c';
const PATIENT_FILE = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';

const valid = {
  email: '  Dr.House@Example.org ',
  password: 'a long enough password',
  name: ' Gregory House ',
  role: 'DOCTOR',
  cabinetId: CABINET,
};

const refusedOn = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

test('a valid account is normalized', () => {
  const account = validateNewAccount(valid);
  assert.equal(account.email, 'dr.house@example.org');
  assert.equal(account.name, 'Gregory House');
  assert.equal(account.role, 'DOCTOR');
  assert.equal(account.cabinetId, CABINET);
  assert.equal(account.patientId, null);
});

test('an ADMIN belongs to no practice; a PATIENT belongs to one and is linked to its file', () => {
  assert.equal(validateNewAccount({ ...valid, role: 'ADMIN', cabinetId: null }).cabinetId, null);
  const patient = validateNewAccount({ ...valid, role: 'PATIENT', patientId: PATIENT_FILE });
  assert.deepEqual([patient.cabinetId, patient.patientId], [CABINET, PATIENT_FILE]);
});

for (const [field, patch] of [
  ['email', { email: 'not-an-email' }],
  ['password', { password: 'short' }],
  ['name', { name: '   ' }],
  ['role', { role: 'SUPERUSER' }],
  ['cabinetId', { cabinetId: 'cabinet-1' }],
  ['cabinetId', { cabinetId: null }],
  ['cabinetId', { role: 'SECRETARY', cabinetId: undefined }],
  ['cabinetId', { role: 'PATIENT', cabinetId: null, patientId: PATIENT_FILE }],
  ['cabinetId', { role: 'ADMIN' }],
  ['patientId', { role: 'PATIENT' }],
  ['patientId', { role: 'PATIENT', patientId: 'file-42' }],
  ['patientId', { patientId: PATIENT_FILE }],
  ['patientId', { role: 'ADMIN', cabinetId: null, patientId: PATIENT_FILE }],
] as const) {
  test(`an invalid ${field} is refused, naming the field (${JSON.stringify(patch)})`, () => {
    assert.throws(() => validateNewAccount({ ...valid, ...patch }), refusedOn(field));
  });
}

test('the password policy names the field it checks', () => {
  assert.throws(() => assertPasswordPolicy('x'.repeat(11), 'newPassword'), refusedOn('newPassword'));
  assert.throws(() => assertPasswordPolicy('x'.repeat(257), 'newPassword'), refusedOn('newPassword'));
  assertPasswordPolicy('x'.repeat(12), 'newPassword');
});
