import { readFileSync } from 'node:fs';
import { Auditor } from '@cabinet/platform/audit';
import { FieldCipher } from '@cabinet/platform/crypto';
import { openDatabase } from '@cabinet/platform/database';
import { TOPICS, topicName } from '@cabinet/platform/events';
import { createKafka, ReconnectingProducer } from '@cabinet/platform/kafka';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent, OutboxRelay } from '@cabinet/platform/outbox';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import { AllergiesService } from './allergy-service.ts';
import type { PatientsConfig } from './config.ts';
import { Allergy } from './persistence/allergy.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { Patient, PatientNationalId } from './persistence/patient.entity.ts';
import { createResolvers } from './resolvers.ts';
import { PatientsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Starts the patients subgraph: database, outbox relay to Kafka, HTTP. */
export async function startPatientsService(config: PatientsConfig): Promise<RunningServer> {
  const log = createLogger('patients', config.LOG_LEVEL);
  const orm = await openDatabase({
    url: config.DATABASE_URL,
    entities: [Patient, PatientNationalId, Allergy, OutboxEvent],
    migrations,
  });
  const kafka = createKafka('patients', config.KAFKA_BROKERS, log);
  const topic = topicName(config.KAFKA_TOPIC_PREFIX, TOPICS.patients);
  const auditTopic = topicName(config.KAFKA_TOPIC_PREFIX, TOPICS.audit);
  const producer = new ReconnectingProducer(kafka, [topic, auditTopic]);
  const relay = new OutboxRelay({ orm, producer, log });
  relay.start();
  const auditor = new Auditor({ service: 'patients', orm, topic: auditTopic, onRecorded: () => relay.nudge() });
  const patients = new PatientsService({
    orm,
    log,
    topic,
    auditor,
    cipher: new FieldCipher(config.DATA_ENCRYPTION_KEY),
    onEventsRecorded: () => relay.nudge(),
  });
  const allergies = new AllergiesService({ orm, log, auditor, onEventsRecorded: () => relay.nudge() });
  const server = await startSubgraph({
    name: 'patients',
    typeDefs,
    resolvers: createResolvers(patients, allergies),
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
