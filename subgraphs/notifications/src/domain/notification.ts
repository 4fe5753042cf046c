import { type EventEnvelope, PATIENT_REGISTERED, type PatientRegistered } from '@cabinet/platform/events';
import type { Identity, Role } from '@cabinet/platform/identity';

export const NOTIFICATION_KINDS = ['PATIENT_REGISTERED'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Who a notification is for: one user, or the staff of its practice. */
export const AUDIENCES = ['USER', 'STAFF'] as const;
export type Audience = (typeof AUDIENCES)[number];
// Practice staff; ADMIN runs the platform and is not the staff of any practice.
const STAFF_ROLES: readonly Role[] = ['DOCTOR', 'SECRETARY'];

export interface NotificationDraft {
  cabinetId: string;
  audience: Audience;
  recipientUserId: string | null;
  kind: NotificationKind;
  title: string;
  body: string;
  patientId: string | null;
}

/** What an event means for people; null when it means nothing to notify. */
export function notificationsFor(event: EventEnvelope): NotificationDraft[] {
  switch (event.type) {
    case PATIENT_REGISTERED: {
      const data = event.data as PatientRegistered;
      return [
        {
          cabinetId: data.cabinetId,
          audience: 'STAFF',
          recipientUserId: null,
          kind: 'PATIENT_REGISTERED',
          title: 'New patient',
          body: `${data.displayName} was registered.`,
          patientId: data.patientId,
        },
      ];
    }
    default:
      return [];
  }
}

/** The one visibility rule: your own practice, and either addressed to you or to its staff. */
export function isVisibleTo(
  notification: { cabinetId: string; audience: Audience; recipientUserId?: string | null },
  identity: Identity,
): boolean {
  if (notification.cabinetId !== identity.cabinetId) return false;
  if (notification.audience === 'USER') return notification.recipientUserId === identity.userId;
  return STAFF_ROLES.includes(identity.role);
}
