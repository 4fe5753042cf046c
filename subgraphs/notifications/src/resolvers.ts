import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { NotificationRecord } from './persistence/notification.entity.ts';
import type { NotificationsService } from './service.ts';

export function createResolvers(notifications: NotificationsService): GraphQLResolverMap<RequestContext> {
  return {
    Query: {
      myNotifications: (_root, args, { caller }) => notifications.mine(caller, args),
      unreadNotificationCount: (_root, _args, { caller }) => notifications.unreadCount(caller),
    },
    Mutation: {
      markNotificationRead: (_root, { id }, { caller }) => notifications.markRead(caller, id),
    },
    PatientDataExport: {
      __resolveReference: (reference: { patientId: string }) => reference,
      notifications: ({ patientId }: { patientId: string }, _args: unknown, { caller }: RequestContext) =>
        notifications.exportFor(caller, patientId),
    },
    Subscription: {
      notificationAdded: {
        subscribe: (_root: unknown, _args: unknown, { caller }: RequestContext) => notifications.subscribe(caller),
        resolve: (notification: NotificationRecord) => notifications.present(notification),
      },
    },
  };
}
