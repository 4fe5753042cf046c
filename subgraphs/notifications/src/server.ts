import { readFileSync } from 'node:fs';
import { APPOINTMENTS_TOPIC } from '@cabinet/platform/appointment-events';
import { CONSULTATIONS_TOPIC, PRESCRIPTIONS_TOPIC } from '@cabinet/platform/consultation-events';
import { openDatabase } from '@cabinet/platform/database';
import { consumeEvents } from '@cabinet/platform/event-consumer';
import { TOPICS } from '@cabinet/platform/events';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { startPublishing } from '@cabinet/platform/publishing';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import type { NotificationsConfig } from './config.ts';
import { migrations } from './persistence/migrations.ts';
import { Notification, NotificationRead } from './persistence/notification.entity.ts';
import { createResolvers } from './resolvers.ts';
import { NotificationsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Starts the notifications subgraph: database, Kafka consumer, HTTP and WebSocket. */
export async function startNotificationsService(config: NotificationsConfig): Promise<RunningServer> {
  const log = createLogger('notifications', config.LOG_LEVEL);
  const orm = await openDatabase({
    url: config.DATABASE_URL,
    entities: [Notification, NotificationRead, OutboxEvent],
    migrations,
  });
  // Audit records only: the notifications subgraph publishes no events of its own.
  const { auditor, ...publishing } = startPublishing({ service: 'notifications', orm, log, config });
  const notifications = new NotificationsService(orm, log, auditor);
  const consumer = consumeEvents({
    client: 'notifications',
    config,
    topics: [TOPICS.patients, APPOINTMENTS_TOPIC, CONSULTATIONS_TOPIC, PRESCRIPTIONS_TOPIC],
    log,
    handle: (event) => notifications.handleEvent(event),
  });
  const server = await startSubgraph({
    name: 'notifications',
    typeDefs,
    resolvers: createResolvers(notifications),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
    subscriptions: true,
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await consumer.stop();
      await publishing.stop();
      await orm.close();
    },
  };
}
