import { ROLES } from '@cabinet/platform/identity';
import { defineEntity, p } from '@mikro-orm/core';

export const User = defineEntity({
  name: 'User',
  tableName: 'user_account',
  properties: {
    id: p.uuid().primary(),
    email: p.string(),
    name: p.string(),
    role: p.enum(ROLES),
    /** The practice; null for ADMIN (a platform account). */
    cabinetId: p.uuid().nullable(),
    /** For a PATIENT account, its patient file in the patients subgraph; null otherwise. */
    patientId: p.uuid().nullable(),
    /** How to reach the account's owner; null when not given. */
    phone: p.string().nullable(),
    /** The line printed under a doctor's name on prescriptions; null when not given. */
    signature: p.string().nullable(),
    passwordHash: p.string().hidden().lazy(),
    active: p.boolean(),
    createdAt: p.datetime(),
    updatedAt: p.datetime().onUpdate(() => new Date()),
  },
});
export type UserRecord = InstanceType<typeof User.class>;
