import { randomUUID } from 'node:crypto';
import { assertCan } from '@cabinet/platform/access';
import type { Auditor } from '@cabinet/platform/audit';
import type { MikroORM } from '@cabinet/platform/database';
import { badUserInput, notFound } from '@cabinet/platform/errors';
import type { EventEnvelope } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import { claimEvent } from '@cabinet/platform/inbox';
import type { Logger } from '@cabinet/platform/logger';
import { PubSub } from '@cabinet/platform/pubsub';
import { isVisibleTo, notificationsFor } from './domain/notification.ts';
import { Notification, NotificationRead, type NotificationRecord } from './persistence/notification.entity.ts';

export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
  read: boolean;
  patient: { id: string } | null;
  appointment: { id: string } | null;
}

const view = (notification: NotificationRecord, read: boolean): NotificationView => ({
  id: notification.id,
  kind: notification.kind,
  title: notification.title,
  body: notification.body,
  createdAt: notification.createdAt.toISOString(),
  read,
  patient: notification.patientId ? { id: notification.patientId } : null,
  appointment: notification.appointmentId ? { id: notification.appointmentId } : null,
});

const CONSUMER = 'notifications';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The visibility rule of `isVisibleTo`, as a query. */
function visibleTo(identity: Identity) {
  const staff = identity.role === 'DOCTOR' || identity.role === 'SECRETARY';
  return {
    cabinetId: identity.cabinetId ?? '00000000-0000-0000-0000-000000000000',
    $or: [
      { audience: 'USER' as const, recipientUserId: identity.userId },
      ...(staff ? [{ audience: 'STAFF' as const }] : []),
      ...(identity.role === 'SECRETARY' ? [{ audience: 'SECRETARIES' as const }] : []),
      ...(identity.role === 'PATIENT' && identity.patientId
        ? [{ audience: 'PATIENT' as const, recipientPatientId: identity.patientId }]
        : []),
    ],
  };
}

export class NotificationsService {
  readonly #orm: MikroORM;
  readonly #log: Logger;
  readonly #auditor: Auditor;
  readonly #live = new PubSub<NotificationRecord>();

  constructor(orm: MikroORM, log: Logger, auditor: Auditor) {
    this.#orm = orm;
    this.#log = log;
    this.#auditor = auditor;
  }

  /**
   * Turns one domain event into notifications, exactly once: the event id is claimed in the same
   * transaction that stores them, so a redelivered event changes nothing.
   */
  async handleEvent(event: EventEnvelope): Promise<number> {
    const drafts = notificationsFor(event);
    if (drafts.length === 0) return 0;
    const created = await this.#orm.em.fork().transactional(async (em) => {
      if (!(await claimEvent(em, CONSUMER, event.id))) return [];
      return drafts.map((draft) =>
        em.create(Notification, { id: randomUUID(), ...draft, sourceEventId: event.id, createdAt: new Date() }),
      );
    });
    for (const notification of created) this.#live.publish(notification);
    if (created.length > 0) this.#log.info({ eventId: event.id, count: created.length }, 'notifications created');
    return created.length;
  }

  async mine(
    caller: Caller,
    args: { unreadOnly?: boolean | null; limit?: number | null },
  ): Promise<NotificationView[]> {
    const identity = await this.#auditor.authorize(caller, 'notification:read', {
      action: 'notification:read',
      entity: 'Notification',
    });
    const limit = args.limit ?? 20;
    if (limit < 1 || limit > 100) throw badUserInput('limit must be between 1 and 100', 'limit');
    const em = this.#orm.em.fork();
    const readIds = new Set(
      (await em.find(NotificationRead, { userId: identity.userId }, { fields: ['notificationId'] })).map(
        (read) => read.notificationId,
      ),
    );
    const notifications = await em.find(
      Notification,
      args.unreadOnly ? { ...visibleTo(identity), id: { $nin: [...readIds] } } : visibleTo(identity),
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit },
    );
    // A notification names its patient: reading it is a read of patient identity, and is traced.
    await this.#auditor.recordAllNow(
      caller,
      notifications
        .filter((notification) => notification.patientId)
        .map((notification) => ({
          action: 'notification:read',
          entity: 'Notification',
          entityId: notification.id,
          patientId: notification.patientId ?? null,
        })),
    );
    return notifications.map((notification) => view(notification, readIds.has(notification.id)));
  }

  /** The notifications part of a patient's data export: all of the patient's, for them only. */
  async exportFor(caller: Caller, patientId: string): Promise<NotificationView[]> {
    const identity = assertCan(caller, 'notification:read');
    if (identity.role !== 'PATIENT' || identity.patientId !== patientId) throw notFound('PatientDataExport', patientId);
    const em = this.#orm.em.fork();
    const read = new Set(
      (await em.find(NotificationRead, { userId: identity.userId }, { fields: ['notificationId'] })).map(
        (row) => row.notificationId,
      ),
    );
    const all = await em.find(Notification, visibleTo(identity), { orderBy: { createdAt: 'desc', id: 'desc' } });
    return all.map((notification) => view(notification, read.has(notification.id)));
  }

  async unreadCount(caller: Caller): Promise<number> {
    const identity = assertCan(caller, 'notification:read');
    const em = this.#orm.em.fork();
    const read = await em.find(NotificationRead, { userId: identity.userId }, { fields: ['notificationId'] });
    return em.count(Notification, { ...visibleTo(identity), id: { $nin: read.map((r) => r.notificationId) } });
  }

  async markRead(caller: Caller, id: string): Promise<NotificationView> {
    const target = { action: 'markNotificationRead', entity: 'Notification', entityId: UUID.test(id) ? id : null };
    const identity = await this.#auditor.authorize(caller, 'notification:read', target);
    const notification = await this.#orm.em.fork().transactional(async (em) => {
      const found = UUID.test(id) ? await em.findOne(Notification, { ...visibleTo(identity), id }) : null;
      if (!found) return null;
      await em.upsert(
        NotificationRead,
        { notificationId: id, userId: identity.userId, readAt: new Date() },
        { onConflictAction: 'ignore' },
      );
      this.#auditor.record(em, caller, { ...target, patientId: found.patientId ?? null });
      return found;
    });
    if (!notification) {
      const error = notFound('Notification', id);
      await this.#auditor.denied(caller, target, error);
      throw error;
    }
    return view(notification, true);
  }

  /** Live feed of the caller's new notifications. */
  subscribe(caller: Caller): AsyncIterableIterator<NotificationRecord> {
    const identity = assertCan(caller, 'notification:read');
    return this.#live.subscribe((notification) => isVisibleTo(notification, identity));
  }

  present(notification: NotificationRecord): NotificationView {
    return view(notification, false);
  }
}
