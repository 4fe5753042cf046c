import { readFileSync } from 'node:fs';
import { APPOINTMENTS_TOPIC } from '@cabinet/platform/appointment-events';
import { Auditor } from '@cabinet/platform/audit';
import { CONSULTATIONS_TOPIC, PRESCRIPTIONS_TOPIC } from '@cabinet/platform/consultation-events';
import { openDatabase } from '@cabinet/platform/database';
import { decodeEvent } from '@cabinet/platform/event-consumer';
import { TOPICS, topicName } from '@cabinet/platform/events';
import { createKafka, ReconnectingProducer, startConsumer } from '@cabinet/platform/kafka';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent, OutboxRelay } from '@cabinet/platform/outbox';
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
  const kafka = createKafka('notifications', config.KAFKA_BROKERS, log);
  const auditTopic = topicName(config.KAFKA_TOPIC_PREFIX, TOPICS.audit);
  const producer = new ReconnectingProducer(kafka, [auditTopic]);
  const relay = new OutboxRelay({ orm, producer, log });
  relay.start();
  const auditor = new Auditor({ service: 'notifications', orm, topic: auditTopic, onRecorded: () => relay.nudge() });
  const notifications = new NotificationsService(orm, log, auditor);
  const consumer = startConsumer({
    kafka,
    groupId: config.KAFKA_GROUP_ID,
    topics: [TOPICS.patients, APPOINTMENTS_TOPIC, CONSULTATIONS_TOPIC, PRESCRIPTIONS_TOPIC].map((topic) =>
      topicName(config.KAFKA_TOPIC_PREFIX, topic),
    ),
    log,
    handle: async (message) => {
      const event = decodeEvent(message, log);
      if (event) await notifications.handleEvent(event);
    },
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
      await relay.stop();
      await producer.close();
      await orm.close();
    },
  };
}
