import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { validateNewAccount } from './account.ts';

const valid = {
  email: '  Dr.House@Example.org ',
  password: 'a long enough password',
  name: ' Gregory House ',
  role: 'DOCTOR',
  cabinetId: '4f9c2b1e-8a3d-4c6e-9b7a-1d2e3f4a5b6c',
};

test('a valid account is normalized', () => {
  const account = validateNewAccount(valid);
  assert.equal(account.email, 'dr.house@example.org');
  assert.equal(account.name, 'Gregory House');
  assert.equal(account.role, 'DOCTOR');
});

for (const [field, patch] of [
  ['email', { email: 'not-an-email' }],
  ['password', { password: 'short' }],
  ['name', { name: '   ' }],
  ['role', { role: 'SUPERUSER' }],
  ['cabinetId', { cabinetId: 'cabinet-1' }],
  ['cabinetId', { cabinetId: null }],
] as const) {
  test(`an invalid ${field} is refused, naming the field (${JSON.stringify(patch)})`, () => {
    assert.throws(
      () => validateNewAccount({ ...valid, ...patch }),
      (error: unknown) =>
        error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field,
    );
  });
}
