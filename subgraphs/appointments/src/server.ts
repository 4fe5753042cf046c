import { readFileSync } from 'node:fs';
import { openDatabase } from '@cabinet/platform/database';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { startPublishing } from '@cabinet/platform/publishing';
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
  const { topic, auditor, nudge, ...publishing } = startPublishing({
    service: 'appointments',
    orm,
    log,
    config,
    topic: APPOINTMENTS_TOPIC,
  });
  const appointments = new AppointmentsService({ orm, log, topic, auditor, onEventsRecorded: nudge });
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
      await publishing.stop();
      await orm.close();
    },
  };
}
