import { defineEntity, p } from '@mikro-orm/core';
import { ALLERGY_SEVERITIES } from '../domain/allergy.ts';

/**
 * An allergy in a patient's medical record. Removal is soft (`removedAt`, `removedBy`): the
 * record keeps what was known, when, and by whom.
 */
export const Allergy = defineEntity({
  name: 'Allergy',
  tableName: 'allergy',
  properties: {
    id: p.uuid().primary(),
    patientId: p.uuid(),
    cabinetId: p.uuid(),
    substance: p.string(),
    /** Normalized for comparison (see `substanceKey`); unique per patient among active allergies. */
    substanceKey: p.string(),
    reaction: p.text().nullable(),
    severity: p.enum(ALLERGY_SEVERITIES),
    notedOn: p.string().columnType('date'),
    /** The user who recorded it. */
    recordedBy: p.uuid(),
    recordedAt: p.datetime(),
    removedAt: p.datetime().nullable(),
    removedBy: p.uuid().nullable(),
  },
});
export type AllergyRecord = InstanceType<typeof Allergy.class>;
