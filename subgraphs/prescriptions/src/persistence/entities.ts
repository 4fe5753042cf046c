import { defineEntity, p } from '@mikro-orm/core';
import type { DocumentFacts } from '../document.ts';

/** A medication of the catalogue (managed by ADMIN): prescribing picks active ones. */
export const Medication = defineEntity({
  name: 'Medication',
  tableName: 'medication',
  properties: {
    id: p.uuid().primary(),
    name: p.string(),
    form: p.string(),
    strength: p.string(),
    active: p.boolean(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    updatedBy: p.uuid(),
  },
});
export type MedicationRecord = InstanceType<typeof Medication.class>;

/**
 * A prescription (ordonnance) issued on a consultation. Never changed once issued (the database
 * refuses it); `document` is what its printout shows, as it was at issue time.
 */
export const Prescription = defineEntity({
  name: 'Prescription',
  tableName: 'prescription',
  properties: {
    id: p.uuid().primary(),
    consultationId: p.uuid(),
    cabinetId: p.uuid(),
    patientId: p.uuid(),
    practitionerId: p.uuid(),
    issuedAt: p.datetime(),
    document: p.json<Omit<DocumentFacts, 'prescriptionId' | 'issuedAt' | 'lines' | 'exams'>>(),
  },
});
export type PrescriptionRecord = InstanceType<typeof Prescription.class>;

/** A medication line, with the catalogue entry as it was when prescribed. */
export const PrescriptionLine = defineEntity({
  name: 'PrescriptionLine',
  tableName: 'prescription_line',
  properties: {
    prescriptionId: p.uuid().primary(),
    position: p.integer().primary(),
    medicationId: p.uuid(),
    medicationName: p.string(),
    form: p.string(),
    strength: p.string(),
    dosage: p.string(),
    frequency: p.string(),
    duration: p.string(),
    instructions: p.string().nullable(),
  },
});
export type PrescriptionLineRecord = InstanceType<typeof PrescriptionLine.class>;

/** An exam requested by a prescription. */
export const PrescriptionExam = defineEntity({
  name: 'PrescriptionExam',
  tableName: 'prescription_exam',
  properties: {
    prescriptionId: p.uuid().primary(),
    position: p.integer().primary(),
    text: p.string(),
  },
});
export type PrescriptionExamRecord = InstanceType<typeof PrescriptionExam.class>;

// What this subgraph knows of other subgraphs' data, projected from their events (never asked
// synchronously): which consultations exist, and what a printed prescription shows.

/** A consultation (consultations subgraph): who prescribes on it, for whom. */
export const KnownConsultation = defineEntity({
  name: 'KnownConsultation',
  tableName: 'known_consultation',
  properties: {
    consultationId: p.uuid().primary(),
    cabinetId: p.uuid(),
    patientId: p.uuid(),
    practitionerId: p.uuid(),
    openedAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type KnownConsultationRecord = InstanceType<typeof KnownConsultation.class>;

/** A practice (cabinets subgraph): its letterhead. */
export const KnownPractice = defineEntity({
  name: 'KnownPractice',
  tableName: 'known_practice',
  properties: {
    cabinetId: p.uuid().primary(),
    name: p.string(),
    addressLines: p.json<string[]>(),
    phone: p.string().nullable(),
    timeZone: p.string(),
    active: p.boolean(),
    updatedAt: p.datetime(),
  },
});
export type KnownPracticeRecord = InstanceType<typeof KnownPractice.class>;

/** A doctor's attachment to a practice (cabinets subgraph): specialty and RPPS number. */
export const KnownPractitioner = defineEntity({
  name: 'KnownPractitioner',
  tableName: 'known_practitioner',
  properties: {
    userId: p.uuid().primary(),
    cabinetId: p.uuid().primary(),
    specialty: p.string(),
    rpps: p.string(),
    active: p.boolean(),
    updatedAt: p.datetime(),
  },
});
export type KnownPractitionerRecord = InstanceType<typeof KnownPractitioner.class>;

/** A staff account's profile (users subgraph): name and prescription signature line. */
export const StaffProfile = defineEntity({
  name: 'StaffProfile',
  tableName: 'staff_profile',
  properties: {
    userId: p.uuid().primary(),
    role: p.string(),
    cabinetId: p.uuid().nullable(),
    name: p.string(),
    signature: p.string().nullable(),
    updatedAt: p.datetime(),
  },
});
export type StaffProfileRecord = InstanceType<typeof StaffProfile.class>;

/** A patient file (patients subgraph): the name printed, and the birth date when an event gave it. */
export const KnownPatient = defineEntity({
  name: 'KnownPatient',
  tableName: 'known_patient',
  properties: {
    patientId: p.uuid().primary(),
    cabinetId: p.uuid(),
    displayName: p.string(),
    birthDate: p.string().columnType('date').nullable(),
    updatedAt: p.datetime(),
  },
});
export type KnownPatientRecord = InstanceType<typeof KnownPatient.class>;

export const ENTITIES = [
  Medication,
  Prescription,
  PrescriptionLine,
  PrescriptionExam,
  KnownConsultation,
  KnownPractice,
  KnownPractitioner,
  StaffProfile,
  KnownPatient,
];
