import { readFileSync } from 'node:fs';
import { CABINETS_TOPIC } from '@cabinet/platform/cabinet-events';
import { CONSULTATIONS_TOPIC, PRESCRIPTIONS_TOPIC } from '@cabinet/platform/consultation-events';
import { type DatabaseHooks, openDatabase } from '@cabinet/platform/database';
import { consumeEvents } from '@cabinet/platform/event-consumer';
import { TOPICS, USERS_TOPIC } from '@cabinet/platform/events';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { startPublishing } from '@cabinet/platform/publishing';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import type { PrescriptionsConfig } from './config.ts';
import { ENTITIES } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { Projection } from './projection.ts';
import { createResolvers } from './resolvers.ts';
import { PrescriptionsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** The topics (before any prefix) whose events the projection keeps what it needs from. */
export const PROJECTED_TOPICS = [CONSULTATIONS_TOPIC, CABINETS_TOPIC, TOPICS.patients, USERS_TOPIC];

/** Starts the prescriptions subgraph: database, outbox relay to Kafka, projections, HTTP. */
export async function startPrescriptionsService(
  config: PrescriptionsConfig,
  hooks: DatabaseHooks = {},
): Promise<RunningServer> {
  const log = createLogger('prescriptions', config.LOG_LEVEL);
  const orm = await openDatabase({
    url: config.DATABASE_URL,
    entities: [...ENTITIES, OutboxEvent],
    migrations,
    onQuery: hooks.onQuery,
  });
  const { topic, auditor, nudge, ...publishing } = startPublishing({
    service: 'prescriptions',
    orm,
    log,
    config,
    topic: PRESCRIPTIONS_TOPIC,
  });
  const prescriptions = new PrescriptionsService({
    orm,
    log,
    topic,
    auditor,
    onEventsRecorded: nudge,
    projectionWaitMs: config.PROJECTION_WAIT_MS,
  });
  const projection = new Projection(orm, log);
  const consumer = consumeEvents({
    client: 'prescriptions-projection',
    config,
    topics: PROJECTED_TOPICS,
    log,
    handle: async (event) => {
      await projection.apply(event);
    },
  });
  const server = await startSubgraph({
    name: 'prescriptions',
    typeDefs,
    resolvers: createResolvers(prescriptions),
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
