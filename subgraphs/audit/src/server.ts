import { readFileSync } from 'node:fs';
import { openDatabase } from '@cabinet/platform/database';
import { createKafka, startConsumer } from '@cabinet/platform/kafka';
import { createLogger } from '@cabinet/platform/logger';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import type { AuditConfig } from './config.ts';
import { auditTopics, decodeMessage } from './consumer.ts';
import { AuditRecord } from './persistence/audit-record.entity.ts';
import { migrations } from './persistence/migrations.ts';
import { createResolvers } from './resolvers.ts';
import { AuditService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/**
 * Starts the audit subgraph: database, the Kafka consumer of the audit topics, the retention
 * purge (at start, then every AUDIT_PURGE_INTERVAL_MINUTES, unless 0), HTTP.
 */
export async function startAuditService(config: AuditConfig): Promise<RunningServer> {
  const log = createLogger('audit', config.LOG_LEVEL);
  const orm = await openDatabase({ url: config.DATABASE_URL, entities: [AuditRecord], migrations });
  const audit = new AuditService({ orm, log, retentionDays: config.AUDIT_RETENTION_DAYS });
  const topics = auditTopics(config.KAFKA_TOPIC_PREFIX);
  const consumer = startConsumer({
    kafka: createKafka('audit', config.KAFKA_BROKERS, log),
    groupId: config.KAFKA_GROUP_ID,
    topics: [topics.accessAudited, topics.routerDecisions],
    log,
    handle: async (message, topic) => {
      const entry = decodeMessage(message, topic, config.KAFKA_TOPIC_PREFIX, log);
      if (entry) await audit.record(entry);
    },
  });

  let purging: Promise<unknown> = Promise.resolve();
  const purge = (): void => {
    purging = purging
      .then(() => audit.purgeExpired())
      .catch((error: unknown) => log.warn({ err: error }, 'audit retention purge failed; will retry'));
  };
  let timer: NodeJS.Timeout | null = null;
  if (config.AUDIT_PURGE_INTERVAL_MINUTES > 0) {
    purge();
    timer = setInterval(purge, config.AUDIT_PURGE_INTERVAL_MINUTES * 60_000);
    timer.unref();
  }

  const server = await startSubgraph({
    name: 'audit',
    typeDefs,
    resolvers: createResolvers(audit),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
  });
  return {
    ...server,
    async stop() {
      if (timer) clearInterval(timer);
      await server.stop();
      await consumer.stop();
      await purging;
      await orm.close();
    },
  };
}
