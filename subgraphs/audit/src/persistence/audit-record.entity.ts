import { defineEntity, p } from '@mikro-orm/core';
import { OUTCOMES } from '../domain/entry.ts';

/**
 * The audit trail, for reading. Records are written only by `appendRecord` (raw SQL, under the
 * chain head lock) and never changed: the entity is read-only, so a flush never touches it.
 */
export const AuditRecord = defineEntity({
  name: 'AuditRecord',
  tableName: 'audit_record',
  readonly: true,
  properties: {
    seq: p.bigint('string').primary(),
    id: p.uuid(),
    sourceEventId: p.uuid(),
    occurredAt: p.datetime(),
    recordedAt: p.datetime(),
    service: p.string(),
    action: p.string(),
    entity: p.string(),
    entityId: p.string().nullable(),
    patientId: p.string().nullable(),
    outcome: p.enum(OUTCOMES),
    reason: p.string().nullable(),
    userId: p.string().nullable(),
    role: p.string().nullable(),
    cabinetId: p.string().nullable(),
    requestId: p.string().nullable(),
    clientAddress: p.string().nullable(),
    prevHash: p.string(),
    hash: p.string(),
  },
});
export type AuditRecordRow = InstanceType<typeof AuditRecord.class>;
