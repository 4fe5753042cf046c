import { defineEntity, p } from '@mikro-orm/core';
import { CONSULTATION_STATUSES, CONSULTATION_TYPES, type RequestedExam } from '../domain/consultation.ts';
import type { Diagnosis } from '../domain/diagnoses.ts';

/**
 * A consultation: who, when, from which appointment, and what it says. Once `signedAt` is set,
 * a trigger refuses any change to the row (migrations): the rule holds whatever writes to it.
 */
export const Consultation = defineEntity({
  name: 'Consultation',
  tableName: 'consultation',
  properties: {
    id: p.uuid().primary(),
    cabinetId: p.uuid(),
    patientId: p.uuid(),
    /** The doctor who opened it (a user id). */
    practitionerId: p.uuid(),
    /** The appointment it was opened from (one consultation per appointment); null for a walk-in. */
    appointmentId: p.uuid().nullable(),
    type: p.enum(CONSULTATION_TYPES),
    status: p.enum(CONSULTATION_STATUSES),
    reason: p.text().nullable(),
    examination: p.text().nullable(),
    systolicMmHg: p.integer().nullable(),
    diastolicMmHg: p.integer().nullable(),
    heartRateBpm: p.integer().nullable(),
    temperatureCelsius: p.float().columnType('double precision').nullable(),
    weightKg: p.float().columnType('double precision').nullable(),
    heightCm: p.float().columnType('double precision').nullable(),
    spo2Percent: p.integer().nullable().fieldName('spo2_percent'),
    diagnoses: p.json<Diagnosis[]>(),
    observations: p.text().nullable(),
    requestedExams: p.json<RequestedExam[]>(),
    openedAt: p.datetime(),
    signedAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});
export type ConsultationRecord = InstanceType<typeof Consultation.class>;

/** A correction or addition to a signed consultation; never changed, never removed. */
export const Addendum = defineEntity({
  name: 'Addendum',
  tableName: 'consultation_addendum',
  properties: {
    id: p.uuid().primary(),
    consultationId: p.uuid(),
    text: p.text(),
    authorId: p.uuid(),
    createdAt: p.datetime(),
  },
});
export type AddendumRecord = InstanceType<typeof Addendum.class>;

// What this subgraph knows of other subgraphs' data, projected from their events (never asked
// synchronously): opening a consultation is checked against it.

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

/** An appointment (appointments subgraph): whose, with whom, where. */
export const KnownAppointment = defineEntity({
  name: 'KnownAppointment',
  tableName: 'known_appointment',
  properties: {
    appointmentId: p.uuid().primary(),
    cabinetId: p.uuid(),
    patientId: p.uuid(),
    practitionerId: p.uuid(),
    /** Its last status as announced (BOOKED, CANCELLED, NO_SHOW, ...). */
    status: p.string(),
    updatedAt: p.datetime(),
  },
});
export type KnownAppointmentRecord = InstanceType<typeof KnownAppointment.class>;

export const ENTITIES = [Consultation, Addendum, KnownPatient, KnownAppointment];
