import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { luhnCheckDigit, passesLuhn, validateRpps } from './rpps.ts';

// Worked by hand: 1 2 3 4 5 6 7 8 9 0 | 3 → doubling every other digit from the right of the
// payload gives 0+9+7+7+3+5+8+3+4+1 = 47, plus the key 3 = 50, a multiple of 10.
const VALID = '12345678903';

test('the Luhn check digit of known payloads', () => {
  assert.equal(luhnCheckDigit('1234567890'), 3);
  assert.equal(luhnCheckDigit('1000000000'), 9);
  assert.equal(luhnCheckDigit('7992739871'), 3, 'the textbook Luhn example 79927398713');
  assert.ok(passesLuhn('79927398713'));
});

test('a valid RPPS is accepted, spaces ignored', () => {
  assert.equal(validateRpps(VALID), VALID);
  assert.equal(validateRpps(' 123 456 789 03 '), VALID);
  assert.equal(validateRpps('10000000009'), '10000000009');
});

test('every single-digit change of a valid RPPS is refused', () => {
  for (let position = 0; position < VALID.length; position++) {
    for (let digit = 0; digit <= 9; digit++) {
      const changed = `${VALID.slice(0, position)}${digit}${VALID.slice(position + 1)}`;
      if (changed === VALID) continue;
      assert.equal(passesLuhn(changed), false, changed);
    }
  }
});

for (const [value, message] of [
  ['12345678904', /check digit/],
  ['1234567890', /11 digits/],
  ['123456789033', /11 digits/],
  ['1234567890A', /11 digits/],
  ['', /11 digits/],
] as const) {
  test(`RPPS ${JSON.stringify(value)} is refused naming the field`, () => {
    assert.throws(
      () => validateRpps(value),
      (error: unknown) =>
        error instanceof DomainError &&
        error.code === 'BAD_USER_INPUT' &&
        error.details.field === 'rpps' &&
        message.test(error.message),
    );
  });
}
