import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import {
  ALREADY_SIGNED,
  applyChanges,
  assertAmendable,
  assertEditable,
  assertItsPractitioner,
  assertSignable,
  type Content,
  DRAFT_TAKES_NO_ADDENDUM,
  NOT_ITS_PRACTITIONER,
  SIGNED_IS_FINAL,
  validateAddendum,
  validateType,
} from './consultation.ts';
import { CodeList } from './diagnoses.ts';
import { NO_VITALS } from './vitals.ts';

const codes = new CodeList([{ code: 'J06.9', label: 'Acute upper respiratory infection, unspecified' }]);
const EMPTY: Content = {
  type: 'CONSULTATION',
  reason: null,
  examination: null,
  vitals: NO_VITALS,
  diagnoses: [],
  observations: null,
  requestedExams: [],
};
const withCode = (code: string, field?: string) => (error: unknown) =>
  error instanceof DomainError && error.code === code && (field === undefined || error.details.field === field);

test('a draft changes by the fields given; the others are kept, null clears', () => {
  const first = applyChanges(
    EMPTY,
    {
      reason: '  Fièvre depuis 3 jours ',
      vitals: { temperatureCelsius: 38.5 },
      diagnoses: [{ code: 'j069' }],
      requestedExams: [{ kind: 'BIOLOGY', description: 'NFS, CRP' }],
    },
    codes,
  );
  assert.equal(first.reason, 'Fièvre depuis 3 jours');
  assert.equal(first.vitals.temperatureCelsius, 38.5);
  assert.deepEqual(first.diagnoses, [
    { code: 'J06.9', label: 'Acute upper respiratory infection, unspecified', note: null },
  ]);
  assert.deepEqual(first.requestedExams, [{ kind: 'BIOLOGY', description: 'NFS, CRP' }]);
  const second = applyChanges(first, { type: 'FOLLOW_UP', reason: null, vitals: { heartRateBpm: 90 } }, codes);
  assert.equal(second.type, 'FOLLOW_UP');
  assert.equal(second.reason, null);
  assert.equal(second.vitals.temperatureCelsius, 38.5, 'kept');
  assert.equal(second.vitals.heartRateBpm, 90);
  assert.equal(second.diagnoses.length, 1, 'kept');
  assert.equal(applyChanges(second, { vitals: null }, codes).vitals.temperatureCelsius, null, 'all cleared');
});

test('invalid content is refused naming the field, and the content given is left as it was', () => {
  const before = structuredClone(EMPTY);
  assert.throws(
    () => applyChanges(EMPTY, { reason: 'ok', vitals: { temperatureCelsius: 80 } }, codes),
    withCode('BAD_USER_INPUT', 'vitals.temperatureCelsius'),
  );
  assert.throws(
    () => applyChanges(EMPTY, { diagnoses: [{ code: 'Z99.99' }] }, codes),
    withCode('BAD_USER_INPUT', 'diagnoses[0].code'),
  );
  assert.throws(() => applyChanges(EMPTY, { reason: 'x'.repeat(501) }, codes), withCode('BAD_USER_INPUT', 'reason'));
  assert.throws(() => applyChanges(EMPTY, { type: 'SURGERY' }, codes), withCode('BAD_USER_INPUT', 'type'));
  assert.throws(() => applyChanges(EMPTY, { type: null }, codes), withCode('BAD_USER_INPUT', 'type'));
  assert.throws(
    () => applyChanges(EMPTY, { requestedExams: [{ kind: 'BIOLOGY', description: ' ' }] }, codes),
    withCode('BAD_USER_INPUT', 'requestedExams[0].description'),
  );
  assert.throws(
    () => applyChanges(EMPTY, { requestedExams: [{ kind: 'XRAY', description: 'thorax' }] }, codes),
    withCode('BAD_USER_INPUT', 'requestedExams[0].kind'),
  );
  assert.deepEqual(EMPTY, before);
});

test('status rules: a draft is edited and signed once; a signed one takes addenda only', () => {
  assert.doesNotThrow(() => assertEditable('DRAFT'));
  assert.doesNotThrow(() => assertSignable('DRAFT'));
  assert.throws(
    () => assertAmendable('DRAFT'),
    (error: DomainError) => error.code === 'CONFLICT' && error.message === DRAFT_TAKES_NO_ADDENDUM,
  );
  assert.throws(
    () => assertEditable('SIGNED'),
    (error: DomainError) => error.code === 'CONFLICT' && error.message === SIGNED_IS_FINAL,
  );
  assert.throws(
    () => assertSignable('SIGNED'),
    (error: DomainError) => error.code === 'CONFLICT' && error.message === ALREADY_SIGNED,
  );
  assert.doesNotThrow(() => assertAmendable('SIGNED'));
});

test('only the practitioner who opened a consultation changes it', () => {
  assert.doesNotThrow(() => assertItsPractitioner({ practitionerId: 'a' }, 'a'));
  assert.throws(
    () => assertItsPractitioner({ practitionerId: 'a' }, 'b'),
    (error: DomainError) => error.code === 'FORBIDDEN' && error.message === NOT_ITS_PRACTITIONER,
  );
});

test('types and addenda are validated', () => {
  assert.equal(validateType('TELECONSULTATION'), 'TELECONSULTATION');
  assert.equal(validateAddendum('  Résultat CRP normal. '), 'Résultat CRP normal.');
  assert.throws(() => validateAddendum('   '), withCode('BAD_USER_INPUT', 'text'));
  assert.throws(() => validateAddendum('x'.repeat(5001)), withCode('BAD_USER_INPUT', 'text'));
});
