import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { MAX_LINES, validatePrescription } from './prescription.ts';

const refusedNaming = (field: string) => (error: unknown) =>
  error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field;

const line = (changes: Record<string, unknown> = {}) => ({
  medicationId: randomUUID(),
  dosage: '1 comprimé',
  frequency: '3 fois par jour',
  duration: '7 jours',
  ...changes,
});

test('a complete prescription is normalized: text trimmed and collapsed, no instructions is null', () => {
  const id = randomUUID().toUpperCase();
  const entry = validatePrescription({
    lines: [line({ medicationId: id, dosage: '  1   comprimé ', instructions: '  ' })],
    exams: [' NFS,  CRP '],
  });
  assert.deepEqual(entry, {
    lines: [
      {
        medicationId: id.toLowerCase(),
        dosage: '1 comprimé',
        frequency: '3 fois par jour',
        duration: '7 jours',
        instructions: null,
      },
    ],
    exams: ['NFS, CRP'],
  });
});

test('a dosage without a medication is refused naming the medication field of that line', () => {
  assert.throws(
    () => validatePrescription({ lines: [line(), { dosage: '1 comprimé', frequency: 'matin', duration: '5 jours' }] }),
    refusedNaming('lines[1].medicationId'),
  );
  assert.throws(
    () => validatePrescription({ lines: [line({ medicationId: null })] }),
    refusedNaming('lines[0].medicationId'),
  );
  assert.throws(
    () => validatePrescription({ lines: [line({ medicationId: 'doliprane' })] }),
    refusedNaming('lines[0].medicationId'),
  );
});

test('each posology field is required and bounded, and named when wrong', () => {
  for (const field of ['dosage', 'frequency', 'duration']) {
    assert.throws(() => validatePrescription({ lines: [line({ [field]: ' ' })] }), refusedNaming(`lines[0].${field}`));
    assert.throws(
      () => validatePrescription({ lines: [line({ [field]: undefined })] }),
      refusedNaming(`lines[0].${field}`),
    );
  }
  assert.throws(
    () => validatePrescription({ lines: [line({ dosage: 'x'.repeat(201) })] }),
    refusedNaming('lines[0].dosage'),
  );
  assert.throws(
    () => validatePrescription({ lines: [line({ instructions: 'x'.repeat(501) })] }),
    refusedNaming('lines[0].instructions'),
  );
  assert.throws(
    () => validatePrescription({ lines: [line({ frequency: 'matin\u0000soir' })] }),
    refusedNaming('lines[0].frequency'),
  );
});

test('exam requests are non-empty texts; a prescription needs at least one line or exam', () => {
  assert.deepEqual(validatePrescription({ exams: ['Radio thorax'] }).lines, []);
  assert.throws(() => validatePrescription({ exams: ['ok', ' '] }), refusedNaming('exams[1]'));
  assert.throws(() => validatePrescription({ exams: ['x'.repeat(501)] }), refusedNaming('exams[0]'));
  assert.throws(() => validatePrescription({}), refusedNaming('lines'));
  assert.throws(() => validatePrescription({ lines: [], exams: [] }), refusedNaming('lines'));
  assert.throws(
    () => validatePrescription({ lines: Array.from({ length: MAX_LINES + 1 }, () => line()) }),
    refusedNaming('lines'),
  );
});
