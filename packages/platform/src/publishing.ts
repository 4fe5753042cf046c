import { Auditor } from './audit.ts';
import type { MikroORM } from './database.ts';
import { TOPICS, topicName } from './events.ts';
import { createKafka, ReconnectingProducer } from './kafka.ts';
import type { Logger } from './logger.ts';
import { OutboxRelay } from './outbox.ts';

export interface Publishing {
  /** Full name (with the configured prefix) of the subgraph's own event topic. */
  topic: string;
  auditor: Auditor;
  /** Wakes the relay after a commit that recorded events. */
  nudge(): void;
  stop(): Promise<void>;
}

interface PublishingOptions {
  service: string;
  orm: MikroORM;
  log: Logger;
  config: { KAFKA_BROKERS: string[]; KAFKA_TOPIC_PREFIX: string };
  /** The subgraph's own event topic, without prefix; none for a subgraph that only audits. */
  topic?: string;
}

/**
 * What every publishing subgraph runs beside its database: the outbox relay to Kafka for its own
 * event topic (if it has one) and for the audit trail, and the Auditor that records into that
 * same outbox.
 */
export function startPublishing(options: PublishingOptions & { topic: string }): Publishing;
export function startPublishing(options: PublishingOptions & { topic?: undefined }): Omit<Publishing, 'topic'>;
export function startPublishing(options: PublishingOptions): Publishing | Omit<Publishing, 'topic'> {
  const { service, orm, log, config } = options;
  const topic = options.topic ? topicName(config.KAFKA_TOPIC_PREFIX, options.topic) : null;
  const auditTopic = topicName(config.KAFKA_TOPIC_PREFIX, TOPICS.audit);
  const producer = new ReconnectingProducer(
    createKafka(service, config.KAFKA_BROKERS, log),
    topic ? [topic, auditTopic] : [auditTopic],
  );
  const relay = new OutboxRelay({ orm, producer, log });
  relay.start();
  const nudge = () => relay.nudge();
  return {
    ...(topic ? { topic } : {}),
    auditor: new Auditor({ service, orm, topic: auditTopic, onRecorded: nudge }),
    nudge,
    async stop() {
      await relay.stop();
      await producer.close();
    },
  };
}
