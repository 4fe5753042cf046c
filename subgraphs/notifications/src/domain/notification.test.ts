import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  APPOINTMENT_BOOKED,
  APPOINTMENT_CALLED,
  APPOINTMENT_CHECKED_IN,
  APPOINTMENT_NO_SHOW,
  APPOINTMENT_REMINDER_DUE,
} from '@cabinet/platform/appointment-events';
import { CONSULTATION_SIGNED, PRESCRIPTION_ISSUED } from '@cabinet/platform/consultation-events';
import { envelope, MEDICAL_RECORD_UPDATED, PATIENT_REGISTERED } from '@cabinet/platform/events';
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
    recipientPatientId: null,
    kind: 'PATIENT_REGISTERED',
    title: 'New patient',
    body: 'Jane DOE was registered.',
    patientId: 'p1',
    appointmentId: null,
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

const facts = {
  appointmentId: 'a1',
  cabinetId,
  patientId: 'p1',
  practitionerId: 'u-doc',
  startsAt: '2026-11-26T08:30:00.000Z',
  endsAt: '2026-11-26T08:50:00.000Z',
  timeZone: 'Europe/Paris',
};
const audiences = (drafts: ReturnType<typeof notificationsFor>) =>
  drafts.map((draft) => [draft.audience, draft.recipientUserId ?? draft.recipientPatientId]);

test('a booking notifies its practitioner, the secretaries and the patient, in the practice time', () => {
  const secretaryBooks = envelope('appointments', APPOINTMENT_BOOKED, cabinetId, null, facts);
  secretaryBooks.actor = { userId: 'u-sec', role: 'SECRETARY' };
  const drafts = notificationsFor(secretaryBooks);
  assert.deepEqual(audiences(drafts), [
    ['SECRETARIES', null],
    ['USER', 'u-doc'],
    ['PATIENT', 'p1'],
  ]);
  assert.ok(drafts.every((draft) => draft.kind === 'APPOINTMENT_BOOKED' && draft.appointmentId === 'a1'));
  // 08:30 UTC is 09:30 in Paris in November.
  assert.match(drafts[0]?.body ?? '', /26\/11\/2026 09:30/);
});

test('the practitioner is not told about what they did themselves', () => {
  const doctorBooks = envelope('appointments', APPOINTMENT_BOOKED, cabinetId, null, facts);
  doctorBooks.actor = { userId: 'u-doc', role: 'DOCTOR' };
  assert.deepEqual(audiences(notificationsFor(doctorBooks)), [
    ['SECRETARIES', null],
    ['PATIENT', 'p1'],
  ]);
});

test('a check-in tells the practitioner and the secretaries; a call tells the secretaries and the patient', () => {
  const checkedIn = envelope('appointments', APPOINTMENT_CHECKED_IN, cabinetId, null, { ...facts, arrivedAt: '' });
  assert.deepEqual(audiences(notificationsFor(checkedIn)), [
    ['SECRETARIES', null],
    ['USER', 'u-doc'],
  ]);
  const called = envelope('appointments', APPOINTMENT_CALLED, cabinetId, null, { ...facts, calledAt: '' });
  assert.deepEqual(audiences(notificationsFor(called)), [
    ['SECRETARIES', null],
    ['PATIENT', 'p1'],
  ]);
});

test('a reminder is for the patient only; a no-show notifies nobody', () => {
  const reminder = envelope('appointments', APPOINTMENT_REMINDER_DUE, cabinetId, null, { ...facts, reminderId: 'r' });
  const [draft, ...rest] = notificationsFor(reminder);
  assert.equal(rest.length, 0);
  assert.equal(draft?.audience, 'PATIENT');
  assert.equal(draft?.kind, 'APPOINTMENT_REMINDER');
  assert.deepEqual(notificationsFor(envelope('appointments', APPOINTMENT_NO_SHOW, cabinetId, null, facts)), []);
});

test("secretaries' and patients' notifications reach only them", () => {
  const secretaries = { cabinetId, audience: 'SECRETARIES' as const };
  assert.equal(isVisibleTo(secretaries, secretary), true);
  assert.equal(isVisibleTo(secretaries, { ...secretary, role: 'DOCTOR' }), false);
  assert.equal(isVisibleTo(secretaries, { ...secretary, role: 'PATIENT', patientId: 'p1' }), false);
  const forPatient = { cabinetId, audience: 'PATIENT' as const, recipientPatientId: 'p1' };
  const patient: Identity = { userId: 'u-p1', role: 'PATIENT', cabinetId, patientId: 'p1' };
  assert.equal(isVisibleTo(forPatient, patient), true);
  assert.equal(isVisibleTo(forPatient, { ...patient, patientId: 'p2' }), false);
  assert.equal(isVisibleTo(forPatient, { ...patient, patientId: null }), false);
  assert.equal(isVisibleTo(forPatient, secretary), false);
  assert.equal(isVisibleTo(forPatient, { ...patient, cabinetId: '22222222-2222-4222-8222-222222222222' }), false);
});

test('a signed consultation tells the secretaries that it is done; a prescription tells the patient', () => {
  const consultation = {
    consultationId: 'c1',
    cabinetId,
    patientId: 'p1',
    practitionerId: 'u-doc',
    appointmentId: 'a1',
    openedAt: '',
  };
  const signed = notificationsFor(
    envelope('consultations', CONSULTATION_SIGNED, cabinetId, null, { ...consultation, signedAt: '' }),
  );
  assert.deepEqual(audiences(signed), [['SECRETARIES', null]]);
  assert.equal(signed[0]?.kind, 'CONSULTATION_SIGNED');
  const issued = notificationsFor(
    envelope('prescriptions', PRESCRIPTION_ISSUED, cabinetId, null, {
      prescriptionId: 'rx1',
      consultationId: 'c1',
      cabinetId,
      patientId: 'p1',
      practitionerId: 'u-doc',
      issuedAt: '',
    }),
  );
  assert.deepEqual(audiences(issued), [['PATIENT', 'p1']]);
  assert.equal(issued[0]?.kind, 'PRESCRIPTION_ISSUED');
});

test('a record update tells the patient which section changed, never what it says', () => {
  const [draft, ...rest] = notificationsFor(
    envelope('patients', MEDICAL_RECORD_UPDATED, cabinetId, null, {
      patientId: 'p1',
      cabinetId,
      section: 'TREATMENT',
      entryId: 'e1',
    }),
  );
  assert.equal(rest.length, 0);
  assert.deepEqual(
    [draft?.audience, draft?.recipientPatientId, draft?.kind],
    ['PATIENT', 'p1', 'MEDICAL_RECORD_UPDATED'],
  );
  assert.equal(draft?.body, 'Your practice updated your medical record (treatments).');
});
