import { defineEntity, p } from '@mikro-orm/core';
import { NATIONAL_ID_TYPES } from '../domain/national-id.ts';
import { SEXES } from '../domain/patient.ts';

export const Patient = defineEntity({
  name: 'Patient',
  tableName: 'patient',
  properties: {
    id: p.uuid().primary(),
    cabinetId: p.uuid(),
    firstName: p.string(),
    lastName: p.string(),
    birthDate: p.string().columnType('date'),
    sex: p.enum(SEXES),
    phone: p.string().nullable(),
    email: p.string().nullable(),
    createdAt: p.datetime(),
    createdBy: p.uuid(),
    addressStreet: p.string().nullable(),
    addressPostalCode: p.string().nullable(),
    addressCity: p.string().nullable(),
    addressCountry: p.string().nullable(),
    insuranceOrganism: p.string().nullable(),
    insuranceMemberNumber: p.string().nullable(),
    insuranceValidUntil: p.string().columnType('date').nullable(),
    emergencyName: p.string().nullable(),
    emergencyRelationship: p.string().nullable(),
    emergencyPhone: p.string().nullable(),
    referringName: p.string().nullable(),
    referringRpps: p.string().nullable(),
    referringPhone: p.string().nullable(),
    updatedAt: p.datetime().nullable(),
    updatedBy: p.uuid().nullable(),
    /** A file is archived, never deleted: out of searches by default, still readable by id. */
    archivedAt: p.datetime().nullable(),
    archivedBy: p.uuid().nullable(),
    archiveReason: p.text().nullable(),
  },
});
export type PatientRecord = InstanceType<typeof Patient.class>;

/** A national identifier: only its ciphertext and a keyed blind index are stored. */
export const PatientNationalId = defineEntity({
  name: 'PatientNationalId',
  tableName: 'patient_national_id',
  properties: {
    id: p.uuid().primary(),
    patientId: p.uuid(),
    cabinetId: p.uuid(),
    type: p.enum(NATIONAL_ID_TYPES),
    valueEncrypted: p.text(),
    blindIndex: p.string(),
    createdAt: p.datetime(),
  },
});
export type PatientNationalIdRecord = InstanceType<typeof PatientNationalId.class>;
