import { defineEntity, p } from '@mikro-orm/core';

/**
 * A doctor's account (a users-subgraph user id) attached to a practice. Detaching is soft
 * (`detachedAt`, `detachedBy`); an RPPS number and a user are attached at most once at a time.
 */
export const Practitioner = defineEntity({
  name: 'Practitioner',
  tableName: 'practitioner',
  properties: {
    id: p.uuid().primary(),
    cabinetId: p.uuid(),
    userId: p.uuid(),
    specialty: p.string(),
    rpps: p.string(),
    attachedAt: p.datetime(),
    attachedBy: p.uuid(),
    detachedAt: p.datetime().nullable(),
    detachedBy: p.uuid().nullable(),
  },
});
export type PractitionerRecord = InstanceType<typeof Practitioner.class>;
