import { defineEntity, p } from '@mikro-orm/core';
import { DOCUMENT_KINDS, HABIT_KINDS, RECORD_SECTIONS } from '../domain/medical-record.ts';

/**
 * An entry of a patient's medical record (history, treatment, habit, document): the columns its
 * section uses are set, the others null (the migration checks which). Removal is soft.
 */
export const RecordEntry = defineEntity({
  name: 'RecordEntry',
  tableName: 'record_entry',
  properties: {
    id: p.uuid().primary(),
    patientId: p.uuid(),
    cabinetId: p.uuid(),
    section: p.enum(RECORD_SECTIONS),
    condition: p.string().nullable(),
    code: p.string().nullable(),
    relation: p.string().nullable(),
    occurred: p.string().nullable(),
    medication: p.string().nullable(),
    dosage: p.string().nullable(),
    since: p.string().columnType('date').nullable(),
    until: p.string().columnType('date').nullable(),
    habit: p.enum(HABIT_KINDS).nullable(),
    label: p.string().nullable(),
    value: p.string().nullable(),
    title: p.string().nullable(),
    documentKind: p.enum(DOCUMENT_KINDS).nullable(),
    documentDate: p.string().columnType('date').nullable(),
    contentType: p.string().nullable(),
    sizeBytes: p.integer().columnType('bigint').nullable(),
    storageRef: p.text().nullable(),
    recordedBy: p.uuid(),
    recordedAt: p.datetime(),
    removedAt: p.datetime().nullable(),
    removedBy: p.uuid().nullable(),
  },
});
export type RecordEntryRecord = InstanceType<typeof RecordEntry.class>;
