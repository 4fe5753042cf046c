import { defineEntity, p } from '@mikro-orm/core';
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
