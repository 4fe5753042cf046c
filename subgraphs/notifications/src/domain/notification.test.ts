import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envelope, PATIENT_REGISTERED } from '@cabinet/platform/events';
import type { Identity } from '@cabinet/platform/identity';
import { isVisibleTo, notificationsFor } from './notification.ts';

const cabinetId = '11111111-1111-4111-8111-111111111111';
const secretary: Identity = { userId: 'u-sec', role: 'SECRETARY', cabinetId };

test('a registered patient notifies the staff of the practice', () => {
  const event = envelope('patients', PATIENT_REGISTERED, cabinetId, null, {
    patientId: 'p1',
    cabinetId,
    displayName: 'Jane DOE',
  });
  const [draft, ...rest] = notificationsFor(event);
  assert.equal(rest.length, 0);
  assert.deepEqual(draft, {
    cabinetId,
    audience: 'STAFF',
    recipientUserId: null,
    kind: 'PATIENT_REGISTERED',
    title: 'New patient',
    body: 'Jane DOE was registered.',
    patientId: 'p1',
  });
});

test('an event nobody needs to hear about makes no notification', () => {
  assert.deepEqual(notificationsFor(envelope('patients', 'patients.Unknown.v1', cabinetId, null, {})), []);
});

test('staff notifications are seen by the staff of that practice only', () => {
  const staff = { cabinetId, audience: 'STAFF' as const, recipientUserId: null };
  assert.equal(isVisibleTo(staff, secretary), true);
  assert.equal(isVisibleTo(staff, { ...secretary, role: 'DOCTOR' }), true);
  assert.equal(isVisibleTo(staff, { ...secretary, role: 'PATIENT' }), false);
  assert.equal(isVisibleTo(staff, { ...secretary, cabinetId: '22222222-2222-4222-8222-222222222222' }), false);
  assert.equal(isVisibleTo(staff, { ...secretary, cabinetId: null }), false);
});

test('a personal notification is seen by its recipient only', () => {
  const personal = { cabinetId, audience: 'USER' as const, recipientUserId: 'u-sec' };
  assert.equal(isVisibleTo(personal, secretary), true);
  assert.equal(isVisibleTo(personal, { ...secretary, userId: 'u-other' }), false);
});
