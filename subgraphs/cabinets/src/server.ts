import { readFileSync } from 'node:fs';
import { CABINETS_TOPIC } from '@cabinet/platform/cabinet-events';
import { type DatabaseHooks, openDatabase } from '@cabinet/platform/database';
import { createLogger } from '@cabinet/platform/logger';
import { OutboxEvent } from '@cabinet/platform/outbox';
import { startPublishing } from '@cabinet/platform/publishing';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import type { CabinetsConfig } from './config.ts';
import { Cabinet } from './persistence/cabinet.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { Practitioner } from './persistence/practitioner.entity.ts';
import { createResolvers } from './resolvers.ts';
import { CabinetsService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Every table the cabinets subgraph maps. */
export const entities = [Cabinet, Practitioner, OutboxEvent];

/** Starts the cabinets subgraph: database, outbox relay to Kafka, HTTP. */
export async function startCabinetsService(config: CabinetsConfig, hooks: DatabaseHooks = {}): Promise<RunningServer> {
  const log = createLogger('cabinets', config.LOG_LEVEL);
  const orm = await openDatabase({ url: config.DATABASE_URL, entities, migrations, onQuery: hooks.onQuery });
  const { topic, auditor, nudge, ...publishing } = startPublishing({
    service: 'cabinets',
    orm,
    log,
    config,
    topic: CABINETS_TOPIC,
  });
  const cabinets = new CabinetsService({ orm, log, topic, auditor, onEventsRecorded: nudge });
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
      await publishing.stop();
      await orm.close();
    },
  };
}
