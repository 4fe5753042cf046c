import type { KafkaMessage } from 'kafkajs';
import { type EventEnvelope, isEnvelope, topicName } from './events.ts';
import { createKafka, type RunningConsumer, startConsumer } from './kafka.ts';
import type { Logger } from './logger.ts';

/**
 * Decodes a Kafka message into an event envelope. A message that is not one is logged and
 * skipped: a poison message must not block its partition forever.
 */
export function decodeEvent(message: KafkaMessage, log: Logger): EventEnvelope | null {
  try {
    const value: unknown = JSON.parse(message.value?.toString('utf8') ?? '');
    if (isEnvelope(value)) return value;
  } catch {
    // falls through to the log below
  }
  log.warn({ offset: message.offset }, 'skipped a message that is not an event envelope');
  return null;
}

/**
 * Consumes other subgraphs' events: the topics (named without the deployment's prefix) in the
 * service's consumer group, each message decoded and handed to `handle` (a message that is not an
 * event is skipped). Reconnects on its own while the broker is away; `stop()` ends it.
 */
export function consumeEvents(options: {
  /** Names the Kafka client, e.g. `appointments-projection`. */
  client: string;
  config: { KAFKA_BROKERS: string[]; KAFKA_TOPIC_PREFIX: string; KAFKA_GROUP_ID: string };
  topics: readonly string[];
  log: Logger;
  handle: (event: EventEnvelope) => Promise<unknown>;
}): RunningConsumer {
  const { client, config, log, handle } = options;
  return startConsumer({
    kafka: createKafka(client, config.KAFKA_BROKERS, log),
    groupId: config.KAFKA_GROUP_ID,
    topics: options.topics.map((name) => topicName(config.KAFKA_TOPIC_PREFIX, name)),
    log,
    handle: async (message) => {
      const event = decodeEvent(message, log);
      if (event) await handle(event);
    },
  });
}
