import { readFileSync } from 'node:fs';
import { Auditor } from '@cabinet/platform/audit';
import { openDatabase } from '@cabinet/platform/database';
import { TOPICS, topicName } from '@cabinet/platform/events';
import { createKafka, ReconnectingProducer } from '@cabinet/platform/kafka';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent, OutboxRelay } from '@cabinet/platform/outbox';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import type { CabinetsConfig } from './config.ts';
import { CABINETS_TOPIC } from './events.ts';
import { Cabinet } from './persistence/cabinet.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { Practitioner } from './persistence/practitioner.entity.ts';
import { createResolvers } from './resolvers.ts';
import { CabinetsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Every table the cabinets subgraph maps. */
export const entities = [Cabinet, Practitioner, OutboxEvent];

/** Starts the cabinets subgraph: database, outbox relay to Kafka, HTTP. */
export async function startCabinetsService(config: CabinetsConfig): Promise<RunningServer> {
  const log = createLogger('cabinets', config.LOG_LEVEL);
  const orm = await openDatabase({ url: config.DATABASE_URL, entities, migrations });
  const kafka = createKafka('cabinets', config.KAFKA_BROKERS, log);
  const topic = topicName(config.KAFKA_TOPIC_PREFIX, CABINETS_TOPIC);
  const auditTopic = topicName(config.KAFKA_TOPIC_PREFIX, TOPICS.audit);
  const producer = new ReconnectingProducer(kafka, [topic, auditTopic]);
  const relay = new OutboxRelay({ orm, producer, log });
  relay.start();
  const auditor = new Auditor({ service: 'cabinets', orm, topic: auditTopic, onRecorded: () => relay.nudge() });
  const cabinets = new CabinetsService({ orm, log, topic, auditor, onEventsRecorded: () => relay.nudge() });
  const server = await startSubgraph({
    name: 'cabinets',
    typeDefs,
    resolvers: createResolvers(cabinets),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
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
