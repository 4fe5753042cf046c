import { readFileSync } from 'node:fs';
import { Auditor } from '@cabinet/platform/audit';
import { openDatabase } from '@cabinet/platform/database';
import { TOPICS, topicName } from '@cabinet/platform/events';
import { createKafka, ReconnectingProducer } from '@cabinet/platform/kafka';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent, OutboxRelay } from '@cabinet/platform/outbox';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import type { AppointmentsConfig } from './config.ts';
import { APPOINTMENTS_TOPIC } from './events.ts';
import { ENTITIES } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { createResolvers } from './resolvers.ts';
import { AppointmentsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Starts the appointments subgraph: database, outbox relay to Kafka, HTTP and WebSocket (waiting room). */
export async function startAppointmentsService(config: AppointmentsConfig): Promise<RunningServer> {
  const log = createLogger('appointments', config.LOG_LEVEL);
  const orm = await openDatabase({ url: config.DATABASE_URL, entities: [...ENTITIES, OutboxEvent], migrations });
  const kafka = createKafka('appointments', config.KAFKA_BROKERS, log);
  const topic = topicName(config.KAFKA_TOPIC_PREFIX, APPOINTMENTS_TOPIC);
  const auditTopic = topicName(config.KAFKA_TOPIC_PREFIX, TOPICS.audit);
  const producer = new ReconnectingProducer(kafka, [topic, auditTopic]);
  const relay = new OutboxRelay({ orm, producer, log });
  relay.start();
  const auditor = new Auditor({ service: 'appointments', orm, topic: auditTopic, onRecorded: () => relay.nudge() });
  const appointments = new AppointmentsService({ orm, log, topic, auditor, onEventsRecorded: () => relay.nudge() });
  const server = await startSubgraph({
    name: 'appointments',
    typeDefs,
    resolvers: createResolvers(appointments),
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
      await relay.stop();
      await producer.close();
      await orm.close();
    },
  };
}
