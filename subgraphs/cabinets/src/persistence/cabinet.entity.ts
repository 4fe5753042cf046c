import { defineEntity, p } from '@mikro-orm/core';
import type { OpeningDay } from '../domain/opening-hours.ts';

/**
 * A practice (cabinet). Deactivation is soft (`active`, `deactivatedAt`, `deactivatedBy`): staff
 * accounts and records of other subgraphs keep pointing at it.
 */
export const Cabinet = defineEntity({
  name: 'Cabinet',
  tableName: 'cabinet',
  properties: {
    id: p.uuid().primary(),
    /** Unique ignoring case (unique index on lower(name)). */
    name: p.string(),
    specialty: p.string(),
    street: p.string(),
    postalCode: p.string(),
    city: p.string(),
    country: p.string(),
    phone: p.string().nullable(),
    email: p.string().nullable(),
    logoUrl: p.text().nullable(),
    openingHours: p.json<OpeningDay[]>(),
    timeZone: p.string(),
    active: p.boolean(),
    createdAt: p.datetime(),
    createdBy: p.uuid(),
    updatedAt: p.datetime(),
    updatedBy: p.uuid(),
    deactivatedAt: p.datetime().nullable(),
    deactivatedBy: p.uuid().nullable(),
  },
});
export type CabinetRecord = InstanceType<typeof Cabinet.class>;
