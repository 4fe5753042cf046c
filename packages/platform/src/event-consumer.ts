import type { KafkaMessage } from 'kafkajs';
import { type EventEnvelope, isEnvelope } from './events.ts';
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
