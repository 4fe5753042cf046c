import { defineEntity, p } from '@mikro-orm/core';
import { AUDIENCES, NOTIFICATION_KINDS } from '../domain/notification.ts';

export const Notification = defineEntity({
  name: 'Notification',
  tableName: 'notification',
  properties: {
    id: p.uuid().primary(),
    cabinetId: p.uuid(),
    audience: p.enum(AUDIENCES),
    recipientUserId: p.uuid().nullable(),
    recipientPatientId: p.uuid().nullable(),
    kind: p.enum(NOTIFICATION_KINDS),
    title: p.string(),
    body: p.string(),
    patientId: p.uuid().nullable(),
    appointmentId: p.uuid().nullable(),
    sourceEventId: p.uuid(),
    createdAt: p.datetime(),
  },
});
export type NotificationRecord = InstanceType<typeof Notification.class>;

export const NotificationRead = defineEntity({
  name: 'NotificationRead',
  tableName: 'notification_read',
  properties: {
    notificationId: p.uuid().primary(),
    userId: p.uuid().primary(),
    readAt: p.datetime(),
  },
});
