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
