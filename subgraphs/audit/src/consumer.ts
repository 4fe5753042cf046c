import { TOPICS, topicName } from '@cabinet/platform/events';
import type { Logger } from '@cabinet/platform/logger';
import type { KafkaMessage } from 'kafkajs';
import { type AuditEntry, type Decoded, fromAccessAudited, fromRouterDecision } from './domain/entry.ts';

/** The router's decision records: requests it refused, as plain JSON (not event envelopes). */
export const ROUTER_DECISIONS_TOPIC = 'cabinet.router-decisions.v1';

/** The topics the audit trail is made of, with the deployment's prefix. */
export function auditTopics(prefix: string): { accessAudited: string; routerDecisions: string } {
  return {
    accessAudited: topicName(prefix, TOPICS.audit),
    routerDecisions: topicName(prefix, ROUTER_DECISIONS_TOPIC),
  };
}

/**
 * Decodes a message of either audit topic into an entry. A message that is not one is logged and
 * skipped: a poison message must not block its partition forever.
 */
export function decodeMessage(message: KafkaMessage, topic: string, prefix: string, log: Logger): AuditEntry | null {
  const topics = auditTopics(prefix);
  let decoded: Decoded;
  try {
    const value: unknown = JSON.parse(message.value?.toString('utf8') ?? '');
    if (topic === topics.accessAudited) decoded = fromAccessAudited(value);
    else if (topic === topics.routerDecisions) decoded = fromRouterDecision(value);
    else decoded = { ok: false, problem: 'not an audit topic' };
  } catch {
    decoded = { ok: false, problem: 'not JSON' };
  }
  if (decoded.ok) return decoded.entry;
  log.warn({ topic, offset: message.offset, problem: decoded.problem }, 'skipped a malformed audit message');
  return null;
}
