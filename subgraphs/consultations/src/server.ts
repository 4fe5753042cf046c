import { readFileSync } from 'node:fs';
import { APPOINTMENTS_TOPIC } from '@cabinet/platform/appointment-events';
import { CONSULTATIONS_TOPIC } from '@cabinet/platform/consultation-events';
import { type DatabaseHooks, openDatabase } from '@cabinet/platform/database';
import { consumeEvents } from '@cabinet/platform/event-consumer';
import { TOPICS } from '@cabinet/platform/events';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { startPublishing } from '@cabinet/platform/publishing';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import type { ConsultationsConfig } from './config.ts';
import { CodeList } from './domain/diagnoses.ts';
import { ENTITIES } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { Projection } from './projection.ts';
import { createResolvers } from './resolvers.ts';
import { ConsultationsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** The ICD-10 code list shipped with the subgraph (data/README.md says where it comes from). */
export const loadCodeList = (): CodeList =>
  CodeList.parse(readFileSync(new URL('../data/icd10.tsv', import.meta.url), 'utf8'));

/** Starts the consultations subgraph: database, outbox relay to Kafka, projections, HTTP. */
export async function startConsultationsService(
  config: ConsultationsConfig,
  hooks: DatabaseHooks = {},
): Promise<RunningServer> {
  const log = createLogger('consultations', config.LOG_LEVEL);
  const codes = loadCodeList();
  const orm = await openDatabase({
    url: config.DATABASE_URL,
    entities: [...ENTITIES, OutboxEvent],
    migrations,
    onQuery: hooks.onQuery,
  });
  const { topic, auditor, nudge, ...publishing } = startPublishing({
    service: 'consultations',
    orm,
    log,
    config,
    topic: CONSULTATIONS_TOPIC,
  });
  const consultations = new ConsultationsService({
    orm,
    log,
    topic,
    auditor,
    onEventsRecorded: nudge,
    codes,
    projectionWaitMs: config.PROJECTION_WAIT_MS,
  });
  const projection = new Projection(orm, log);
  const consumer = consumeEvents({
    client: 'consultations-projection',
    config,
    topics: [APPOINTMENTS_TOPIC, TOPICS.patients],
    log,
    handle: async (event) => {
      await projection.apply(event);
    },
  });
  const server = await startSubgraph({
    name: 'consultations',
    typeDefs,
    resolvers: createResolvers(consultations),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
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
