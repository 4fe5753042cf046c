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

export const ENTITIES = [AppointmentType, PractitionerSchedule, AvailabilityRule, AvailabilityException, Appointment];
