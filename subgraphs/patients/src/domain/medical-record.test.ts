import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import { treatmentEnd, validateDocument, validateHabit, validateHistory, validateTreatment } from './medical-record.ts';

const today = new Date('2026-11-25T10:00:00Z');
const birth = '1960-03-03';

test('a history entry keeps only its section fields; family history may predate the patient', () => {
  const family = validateHistory(
    { kind: 'FAMILY', condition: ' Cancer  du sein ', relation: 'mère', occurred: '1950' },
    today,
    birth,
  );
  assert.deepEqual(
    [family.section, family.condition, family.relation, family.occurred, family.medication],
    ['FAMILY_HISTORY', 'Cancer du sein', 'mère', '1950', null],
  );
  const medical = validateHistory({ kind: 'MEDICAL', condition: 'Diabète', code: ' e11.9 ' }, today, birth);
  assert.deepEqual(
    [medical.section, medical.code, medical.relation, medical.occurred],
    ['MEDICAL_HISTORY', 'E11.9', null, null],
  );
});

test('a treatment starts today unless told, and ends on or after its start', () => {
  assert.deepEqual(
    (({ since, until }) => ({ since, until }))(validateTreatment({ medication: 'Metformine' }, today, birth)),
    { since: '2026-11-25', until: null },
  );
  assert.equal(
    validateTreatment({ medication: 'X', since: '2026-11-01', until: '2027-01-01' }, today, birth).until,
    '2027-01-01',
  );
  assert.equal(treatmentEnd(null, '2026-01-01', today), '2026-11-25');
});

test('habits and documents are normalized', () => {
  assert.equal(validateHabit({ kind: 'ALCOHOL', value: ' 2 verres / semaine ' }).value, '2 verres / semaine');
  const document = validateDocument(
    { title: 'Bilan', kind: 'LAB_RESULT', contentType: 'Application/PDF', sizeBytes: 10, storageRef: 'ref-1' },
    today,
    birth,
  );
  assert.deepEqual([document.contentType, document.documentDate], ['application/pdf', '2026-11-25']);
});

for (const [field, call] of [
  ['history.condition', () => validateHistory({ kind: 'MEDICAL', condition: '' }, today, birth)],
  ['history.occurred', () => validateHistory({ kind: 'MEDICAL', condition: 'A', occurred: '2027' }, today, birth)],
  [
    'history.occurred',
    () => validateHistory({ kind: 'SURGICAL', condition: 'A', occurred: '1959-12-31' }, today, birth),
  ],
  ['history.relation', () => validateHistory({ kind: 'FAMILY', condition: 'A' }, today, birth)],
  ['treatment.since', () => validateTreatment({ medication: 'A', since: '2026-12-01' }, today, birth)],
  [
    'treatment.until',
    () => validateTreatment({ medication: 'A', since: '2026-01-02', until: '2026-01-01' }, today, birth),
  ],
  ['habit.value', () => validateHabit({ kind: 'TOBACCO', value: '' })],
  ['habit.label', () => validateHabit({ kind: 'OTHER', value: 'x' })],
  [
    'document.kind',
    () =>
      validateDocument(
        { title: 'A', kind: 'PHOTO', contentType: 'image/png', sizeBytes: 1, storageRef: 'r' },
        today,
        birth,
      ),
  ],
  [
    'document.storageRef',
    () =>
      validateDocument(
        { title: 'A', kind: 'OTHER', contentType: 'image/png', sizeBytes: 1, storageRef: 'a b' },
        today,
        birth,
      ),
  ],
  [
    'document.sizeBytes',
    () =>
      validateDocument(
        { title: 'A', kind: 'OTHER', contentType: 'image/png', sizeBytes: 1.5, storageRef: 'r' },
        today,
        birth,
      ),
  ],
  ['until', () => treatmentEnd('2025-12-31', '2026-01-01', today)],
] as const) {
  test(`${field} is refused, naming the field`, () => {
    assert.throws(
      call,
      (error: unknown) =>
        error instanceof DomainError && error.code === 'BAD_USER_INPUT' && error.details.field === field,
    );
  });
}
