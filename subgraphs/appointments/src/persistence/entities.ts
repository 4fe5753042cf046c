import { defineEntity, p } from '@mikro-orm/core';
import { APPOINTMENT_STATUSES } from '../domain/status.ts';

/** A kind of appointment a practice offers: a reason, its length, whether patients may book it themselves. */
export const AppointmentType = defineEntity({
  name: 'AppointmentType',
  tableName: 'appointment_type',
  properties: {
    id: p.uuid().primary(),
    cabinetId: p.uuid(),
    label: p.string(),
    durationMinutes: p.integer(),
    selfBookable: p.boolean(),
    createdAt: p.datetime(),
    createdBy: p.uuid(),
  },
});
export type AppointmentTypeRecord = InstanceType<typeof AppointmentType.class>;

/** A practitioner's agenda at a practice: the time zone its opening hours are written in. */
export const PractitionerSchedule = defineEntity({
  name: 'PractitionerSchedule',
  tableName: 'practitioner_schedule',
  properties: {
    practitionerId: p.uuid().primary(),
    cabinetId: p.uuid().primary(),
    timeZone: p.string(),
    updatedAt: p.datetime(),
    updatedBy: p.uuid(),
  },
});
export type PractitionerScheduleRecord = InstanceType<typeof PractitionerSchedule.class>;

/** One weekly opening, in the practice's local time. */
export const AvailabilityRule = defineEntity({
  name: 'AvailabilityRule',
  tableName: 'availability_rule',
  properties: {
    id: p.uuid().primary(),
    practitionerId: p.uuid(),
    cabinetId: p.uuid(),
    /** 1 = Monday ... 7 = Sunday. */
    weekday: p.integer(),
    startTime: p.string(),
    endTime: p.string(),
  },
});
export type AvailabilityRuleRecord = InstanceType<typeof AvailabilityRule.class>;

/** Whole local days (leave, closure) on which a practitioner takes no appointment at a practice. */
export const AvailabilityException = defineEntity({
  name: 'AvailabilityException',
  tableName: 'availability_exception',
  properties: {
    id: p.uuid().primary(),
    practitionerId: p.uuid(),
    cabinetId: p.uuid(),
    startDate: p.string().columnType('date'),
    endDate: p.string().columnType('date'),
    reason: p.text().nullable(),
    createdAt: p.datetime(),
    createdBy: p.uuid(),
  },
});
export type AvailabilityExceptionRecord = InstanceType<typeof AvailabilityException.class>;

/**
 * An appointment. Its `period` column (generated from `starts_at`, `ends_at`) is what the
 * database's exclusion constraint compares: the entity does not map it.
 */
export const Appointment = defineEntity({
  name: 'Appointment',
  tableName: 'appointment',
  properties: {
    id: p.uuid().primary(),
    cabinetId: p.uuid(),
    patientId: p.uuid(),
    practitionerId: p.uuid(),
    appointmentTypeId: p.uuid(),
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    status: p.enum(APPOINTMENT_STATUSES),
    cancellationReason: p.text().nullable(),
    overbooked: p.boolean(),
    /** When the patient checked in (ARRIVED); null before. */
    arrivedAt: p.datetime().nullable(),
    /** When the practitioner called the patient in (IN_CONSULTATION); null before. */
    calledAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    createdBy: p.uuid(),
    updatedAt: p.datetime(),
  },
});
export type AppointmentRecord = InstanceType<typeof Appointment.class>;

/**
 * The day-before reminder of an appointment, scheduled in the database so that a restart or a
 * broker outage loses none: one row per appointment, for its current time. `sentAt` is set in the
 * transaction that puts the reminder event in the outbox, so it is published once.
 */
export const AppointmentReminder = defineEntity({
  name: 'AppointmentReminder',
  tableName: 'appointment_reminder',
  properties: {
    appointmentId: p.uuid().primary(),
    /** The appointment time the reminder is for (a rescheduled appointment gets a new reminder). */
    startsAt: p.datetime(),
    dueAt: p.datetime(),
    sentAt: p.datetime().nullable(),
  },
});
export type AppointmentReminderRecord = InstanceType<typeof AppointmentReminder.class>;

// What this subgraph knows of other subgraphs' data, projected from their events (never asked
// synchronously): a booking is checked against it.

/** A practice (cabinets subgraph): its time zone, and whether it still takes appointments. */
export const KnownPractice = defineEntity({
  name: 'KnownPractice',
  tableName: 'known_practice',
  properties: {
    cabinetId: p.uuid().primary(),
    timeZone: p.string(),
    active: p.boolean(),
    updatedAt: p.datetime(),
  },
});
export type KnownPracticeRecord = InstanceType<typeof KnownPractice.class>;

/** A doctor's attachment to a practice (cabinets subgraph), by the doctor's user id. */
export const KnownPractitioner = defineEntity({
  name: 'KnownPractitioner',
  tableName: 'known_practitioner',
  properties: {
    userId: p.uuid().primary(),
    cabinetId: p.uuid().primary(),
    active: p.boolean(),
    updatedAt: p.datetime(),
  },
});

/** A patient file of a practice (patients subgraph). */
export const KnownPatient = defineEntity({
  name: 'KnownPatient',
  tableName: 'known_patient',
  properties: {
    patientId: p.uuid().primary(),
    cabinetId: p.uuid(),
    updatedAt: p.datetime(),
  },
});

export const ENTITIES = [
  AppointmentType,
  PractitionerSchedule,
  AvailabilityRule,
  AvailabilityException,
  Appointment,
  AppointmentReminder,
  KnownPractice,
  KnownPractitioner,
  KnownPatient,
];
