import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { validateNationalId } from './national-id.ts';

// 1 85 05 78 006 084 → key 97 - (1850578006084 mod 97)
const body = '1850578006084';
const key = String(97 - Number(BigInt(body) % 97n)).padStart(2, '0');
const nir = `${body}${key}`;

test('a valid NIR is accepted and normalized (spaces removed)', () => {
  const spaced = `${nir.slice(0, 1)} ${nir.slice(1, 3)} ${nir.slice(3, 5)} ${nir.slice(5, 7)} ${nir.slice(7, 10)} ${nir.slice(10, 13)} ${nir.slice(13)}`;
  assert.deepEqual(validateNationalId({ type: 'NIR', value: spaced }), { type: 'NIR', value: nir });
  assert.deepEqual(validateNationalId({ type: 'INS', value: nir }), { type: 'INS', value: nir });
});

test('a Corsican NIR (2A) is checked with its substitution', () => {
  const corsican = '185052A006084';
  const corsicanKey = String(97 - Number(BigInt('1850519006084') % 97n)).padStart(2, '0');
  assert.equal(
    validateNationalId({ type: 'NIR', value: `${corsican}${corsicanKey}` }).value,
    `${corsican}${corsicanKey}`,
  );
});

test('CIN and passport formats', () => {
  assert.equal(validateNationalId({ type: 'CIN', value: 'be 123456' }).value, 'BE123456');
  assert.equal(validateNationalId({ type: 'PASSPORT', value: '18AB12345' }).value, '18AB12345');
});

for (const [input, field] of [
  [{ type: 'NIR', value: `${body}${(Number(key) + 1) % 100}` }, 'nationalId.value'],
  [{ type: 'NIR', value: '12345' }, 'nationalId.value'],
  [{ type: 'CIN', value: '123456' }, 'nationalId.value'],
  [{ type: 'SSN', value: '123-45-6789' }, 'nationalId.type'],
] as const) {
  test(`${JSON.stringify(input)} is refused naming ${field}, without echoing the value`, () => {
    assert.throws(
      () => validateNationalId(input),
      (error: unknown) =>
        error instanceof DomainError &&
        error.details.field === field &&
        !error.message.includes(input.value.replace(/-/g, '').slice(0, 5)),
    );
  });
}
