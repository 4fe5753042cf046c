import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { CodeList, fold, normalizeCode } from './diagnoses.ts';

const shipped = CodeList.parse(readFileSync(new URL('../../data/icd10.tsv', import.meta.url), 'utf8'));
const small = new CodeList([
  { code: 'J06.9', label: 'Acute upper respiratory infection, unspecified' },
  { code: 'I10', label: 'Essential (primary) hypertension' },
  { code: 'R60.0', label: 'Œdème localisé' },
  { code: 'J02.9', label: 'Acute pharyngitis, unspecified' },
]);
const refusedOn = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

test('the shipped code list parses: a few hundred unique, well-formed codes', () => {
  assert.ok(shipped.size >= 250, String(shipped.size));
  for (const code of ['I10', 'J06.9', 'E11.9', 'M54.50', 'Z00.00', 'U07.1']) assert.ok(shipped.get(code), code);
});

test('a malformed or duplicate line is refused when loading', () => {
  assert.throws(() => CodeList.parse('J06.9\tA\nJ06.9\tB'), /duplicate/);
  assert.throws(() => CodeList.parse('J0\tToo short'), /malformed/);
  assert.throws(() => CodeList.parse('J06.9'), /malformed/);
});

test('codes are read in their usual spellings', () => {
  assert.equal(normalizeCode(' j06.9 '), 'J06.9');
  assert.equal(normalizeCode('j069'), 'J06.9');
  assert.equal(normalizeCode('I10'), 'I10');
  assert.equal(small.get('j069')?.code, 'J06.9');
});

test('diagnoses are validated against the list: label added, unknown code refused naming the field', () => {
  assert.deepEqual(small.validate([{ code: 'i10', note: '  grade 1 ' }]), [
    { code: 'I10', label: 'Essential (primary) hypertension', note: 'grade 1' },
  ]);
  assert.throws(() => small.validate([{ code: 'I10' }, { code: 'X99.9' }]), refusedOn('diagnoses[1].code'));
  assert.throws(() => small.validate([{ code: 'I10' }, { code: 'i10' }]), refusedOn('diagnoses[1].code'));
  assert.throws(() => small.validate([{ code: 'I10', note: 'x'.repeat(501) }]), refusedOn('diagnoses[0].note'));
  assert.deepEqual(small.validate([]), []);
});

test('look-up by code or label, case- and accent-insensitive, codes starting with the search first', () => {
  assert.deepEqual(
    small.search('j0', 10).map((entry) => entry.code),
    ['J02.9', 'J06.9'],
  );
  assert.deepEqual(
    small.search('J06.9', 10).map((entry) => entry.code),
    ['J06.9'],
  );
  assert.deepEqual(
    small.search('OEDEME', 10).map((entry) => entry.code),
    ['R60.0'],
  );
  assert.deepEqual(
    small.search('hypertension', 10).map((entry) => entry.code),
    ['I10'],
  );
  assert.equal(small.search('unspecified', 1).length, 1);
  assert.throws(() => small.search('a', 10), refusedOn('search'));
  assert.throws(() => small.search('abc', 0), refusedOn('limit'));
  assert.equal(fold('Œdème'), 'oedeme');
});

test('the shipped list finds common diagnoses by label', () => {
  assert.ok(shipped.search('hypertension', 20).some((entry) => entry.code === 'I10'));
  assert.ok(shipped.search('pharyngite', 20).length === 0);
  assert.ok(shipped.search('pharyngitis', 20).some((entry) => entry.code === 'J02.9'));
});
