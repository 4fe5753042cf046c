import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import {
  type AccountState,
  applyAccountChange,
  applyProfileChange,
  MAX_SIGNATURE_LENGTH,
  staffQueryFor,
  validatePhone,
  validateSignature,
} from './staff-account.ts';

const CABINET = '4f9c2b1e-8a3d-4c6e-9b7a-1d2e3f4a5b6c';
const OTHER_CABINET = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const PATIENT_FILE = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';

const doctor: AccountState = {
  email: 'a.martin@example.org',
  name: 'Anne Martin',
  role: 'DOCTOR',
  cabinetId: CABINET,
  patientId: null,
  phone: '01 23 45 67 89',
};

const refusedOn =
  (field: string, code = 'BAD_USER_INPUT') =>
  (error: unknown) =>
    error instanceof DomainError && error.code === code && (code !== 'BAD_USER_INPUT' || error.details.field === field);

test('an empty change keeps the account, and keeps the password', () => {
  assert.deepEqual(applyAccountChange(doctor, {}), { ...doctor, password: null });
  assert.equal(applyAccountChange(doctor, { password: '' }).password, null);
  assert.equal(applyAccountChange(doctor, { password: null }).password, null);
});

test('a change is normalized and validated with the rules of a new account', () => {
  const edit = applyAccountChange(doctor, {
    email: '  Anne.Martin@Example.ORG ',
    name: ' Dr Anne Martin ',
    role: 'SECRETARY',
    phone: '+33 6 12 34 56 78',
    password: 'a brand new password',
  });
  assert.deepEqual(edit, {
    email: 'anne.martin@example.org',
    name: 'Dr Anne Martin',
    role: 'SECRETARY',
    cabinetId: CABINET,
    patientId: null,
    phone: '+33 6 12 34 56 78',
    password: 'a brand new password',
  });
  const admin = applyAccountChange(doctor, { role: 'ADMIN', cabinetId: null, phone: null });
  assert.deepEqual([admin.role, admin.cabinetId, admin.phone], ['ADMIN', null, null]);
  const patient = applyAccountChange(doctor, { role: 'PATIENT', patientId: PATIENT_FILE });
  assert.deepEqual([patient.cabinetId, patient.patientId], [CABINET, PATIENT_FILE]);
});

for (const [field, patch] of [
  ['email', { email: 'not an email' }],
  ['email', { email: null }],
  ['name', { name: '  ' }],
  ['name', { name: null }],
  ['role', { role: null }],
  ['role', { role: 'SUPERUSER' }],
  ['cabinetId', { role: 'ADMIN' }],
  ['cabinetId', { cabinetId: null }],
  ['cabinetId', { cabinetId: 'cabinet-1' }],
  ['patientId', { role: 'PATIENT' }],
  ['patientId', { patientId: PATIENT_FILE }],
  ['phone', { phone: '12' }],
  ['password', { password: 'too short' }],
] as const) {
  test(`an edit with an invalid ${field} is refused, naming it (${JSON.stringify(patch)})`, () => {
    assert.throws(() => applyAccountChange(doctor, patch), refusedOn(field));
  });
}

test('phone numbers: French and international formats, as people write them', () => {
  for (const phone of [
    '0123456789',
    '01 23 45 67 89',
    '01.23.45.67.89',
    '06-12-34-56-78',
    '+33 6 12 34 56 78',
    '+33 (0)6 12 34 56 78',
    '0033 6 12 34 56 78',
    '+212 5 22 12 34 56',
    '+1 (415) 555-0100',
  ]) {
    assert.equal(validatePhone(` ${phone} `), phone, phone);
  }
  assert.equal(validatePhone(''), null);
  assert.equal(validatePhone('   '), null);
  assert.equal(validatePhone(null), null);
  for (const phone of [
    '12345',
    '01 23 45 67 8',
    '01 23 45 67 890',
    '+0 123 456 789',
    '00 0123 456 789',
    'call me',
    '+33 6 12 34 56 78 ext 4',
    '+1234567890123456',
  ]) {
    assert.throws(() => validatePhone(phone), refusedOn('phone'), phone);
  }
});

test('a signature is one line of at most MAX_SIGNATURE_LENGTH characters; empty means none', () => {
  assert.equal(validateSignature('  Dr A. Martin   —  Médecin généraliste '), 'Dr A. Martin — Médecin généraliste');
  assert.equal(validateSignature(''), null);
  assert.equal(validateSignature(null), null);
  assert.equal(validateSignature('x'.repeat(MAX_SIGNATURE_LENGTH))?.length, MAX_SIGNATURE_LENGTH);
  assert.throws(() => validateSignature('x'.repeat(MAX_SIGNATURE_LENGTH + 1)), refusedOn('signature'));
  assert.throws(() => validateSignature('Dr A. Martin\nMédecin généraliste'), refusedOn('signature'));
  assert.throws(() => validateSignature('Dr A. Martin\u0007'), refusedOn('signature'));
});

test('a profile change keeps what is left out, clears phone and signature, never the name', () => {
  const current = { name: 'Anne Martin', phone: '0123456789', signature: 'Dr A. Martin' };
  assert.deepEqual(applyProfileChange(current, {}), current);
  assert.deepEqual(applyProfileChange(current, { phone: '', signature: null }), {
    name: 'Anne Martin',
    phone: null,
    signature: null,
  });
  assert.deepEqual(applyProfileChange(current, { name: ' Dr Anne Martin ', signature: 'Dr A. Martin — Cardiologue' }), {
    name: 'Dr Anne Martin',
    phone: '0123456789',
    signature: 'Dr A. Martin — Cardiologue',
  });
  assert.throws(() => applyProfileChange(current, { name: null }), refusedOn('name'));
  assert.throws(() => applyProfileChange(current, { name: '' }), refusedOn('name'));
  assert.throws(() => applyProfileChange(current, { phone: 'nope' }), refusedOn('phone'));
});

const admin = { role: 'ADMIN', cabinetId: null } as const;
const secretary = { role: 'SECRETARY', cabinetId: CABINET } as const;

test('an ADMIN lists any practice, any role; the filter narrows it', () => {
  assert.deepEqual(staffQueryFor(admin, {}, {}), {
    cabinetId: null,
    roles: ['ADMIN', 'DOCTOR', 'SECRETARY', 'PATIENT'],
    pattern: null,
    active: null,
    limit: 50,
    offset: 0,
  });
  assert.deepEqual(
    staffQueryFor(
      admin,
      { cabinetId: OTHER_CABINET, role: 'PATIENT', text: ' 50%_off\\ ', active: false },
      {
        limit: 100,
        offset: 10,
      },
    ),
    {
      cabinetId: OTHER_CABINET,
      roles: ['PATIENT'],
      pattern: '%50\\%\\_off\\\\%',
      active: false,
      limit: 100,
      offset: 10,
    },
  );
});

test('practice staff list the staff of their own practice only', () => {
  const own = staffQueryFor(secretary, { text: 'Hélène' }, {});
  assert.ok(!('otherPractice' in own));
  assert.deepEqual([own.cabinetId, own.roles, own.pattern], [CABINET, ['DOCTOR', 'SECRETARY'], '%Hélène%']);
  const named = staffQueryFor(secretary, { cabinetId: CABINET, role: 'DOCTOR' }, {});
  assert.ok(!('otherPractice' in named));
  assert.deepEqual([named.cabinetId, named.roles], [CABINET, ['DOCTOR']]);
  const patients = staffQueryFor(secretary, { role: 'PATIENT' }, {});
  assert.ok(!('otherPractice' in patients));
  assert.deepEqual(patients.roles, [], 'no patient accounts, no admins');
  assert.deepEqual(staffQueryFor(secretary, { cabinetId: OTHER_CABINET }, {}), { otherPractice: OTHER_CABINET });
  assert.throws(() => staffQueryFor({ role: 'DOCTOR', cabinetId: null }, {}, {}), refusedOn('', 'FORBIDDEN'));
});

for (const [field, filter, page] of [
  ['limit', {}, { limit: 0 }],
  ['limit', {}, { limit: 101 }],
  ['limit', {}, { limit: 1.5 }],
  ['offset', {}, { offset: -1 }],
  ['offset', {}, { offset: 10_001 }],
  ['filter.cabinetId', { cabinetId: 'practice-1' }, {}],
  ['filter.role', { role: 'SUPERUSER' }, {}],
  ['filter.text', { text: 'x'.repeat(101) }, {}],
] as const) {
  test(`a staff list with an invalid ${field} is refused, naming it (${JSON.stringify({ ...filter, ...page })})`, () => {
    assert.throws(() => staffQueryFor(admin, filter, page), refusedOn(field));
  });
}
