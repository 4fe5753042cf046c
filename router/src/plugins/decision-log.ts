import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApolloServerPlugin } from '@apollo/server';
import { createKafka, ReconnectingProducer } from '@cabinet/platform/kafka';
import type { Logger } from '@cabinet/platform/logger';
import type { RouterContext } from './caller.ts';

/** One refusal, as the audit trail keeps it. */
export interface DecisionRecord {
  id: string;
  /** ISO 8601. */
  at: string;
  requestId: string;
  clientAddress: string | null;
  /** The verified token's subject; null without a (valid) token. */
  subject: string | null;
  /** The access-token claims the router forwards (not the token). */
  claims: Record<string, unknown>;
  decision: 'DENIED';
  /** What the client was told, e.g. `Access token expired`. */
  reason: string;
  operationName: string | null;
  /** `Type.field` of each refused field; empty when the whole request was refused. */
  fields: string[];
}

export type Refusal = Omit<DecisionRecord, 'id' | 'at' | 'decision'>;

export interface DecisionLog {
  /** Queues a record; never throws, never waits. */
  denied(refusal: Refusal): void;
  /** Sends what is queued (for a while), then disconnects. */
  stop(): Promise<void>;
}

export const DECISION_TOPIC = 'cabinet.router-decisions.v1';

/** Logs nothing: the decision log is off. */
export const noDecisionLog: DecisionLog = { denied: () => undefined, stop: async () => undefined };

/** Where records go; the Kafka producer in production, anything in tests. */
export type SendBatch = (records: DecisionRecord[]) => Promise<void>;

export interface DecisionLogOptions {
  log: Logger;
  send: SendBatch;
  /** Records kept while the sink is unreachable; beyond, the oldest are dropped. */
  maxBuffered?: number;
  batchSize?: number;
  /** How long `stop` keeps trying to send what is left. */
  flushTimeoutMs?: number;
  retryDelayMs?: { initial: number; max: number };
}

/**
 * Publishes refusals in the background: records wait in a bounded in-memory buffer and are sent
 * in batches, retried with backoff while the sink fails. Recording never blocks or fails a
 * request; when the buffer is full the oldest records are dropped, with a warning.
 */
export function createDecisionLog(options: DecisionLogOptions): DecisionLog {
  const { log, send } = options;
  const maxBuffered = options.maxBuffered ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  const retry = options.retryDelayMs ?? { initial: 250, max: 5_000 };
  const buffer: DecisionRecord[] = [];
  let dropped = 0;
  let stopping = false;
  let deadline = Number.POSITIVE_INFINITY;
  let wake: (() => void) | null = null;
  let stopped: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const nudge = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  /** Until a record arrives or stop is called. */
  const idle = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });

  const loop = async (): Promise<void> => {
    let delay = retry.initial;
    for (;;) {
      if (stopping && (buffer.length === 0 || Date.now() >= deadline)) return;
      if (buffer.length === 0) {
        await idle();
        continue;
      }
      const batch = buffer.slice(0, batchSize);
      try {
        await send(batch);
        // Records dropped meanwhile were the oldest: remove from the front only what is still there.
        const sent = new Set(batch);
        while (buffer.length > 0 && sent.has(buffer[0] as DecisionRecord)) buffer.shift();
        delay = retry.initial;
      } catch (error) {
        log.warn({ err: error, buffered: buffer.length }, 'decision log: sending failed; retrying');
        const wait = stopping ? Math.min(delay, Math.max(0, deadline - Date.now())) : delay;
        // Unreferenced: a backoff never keeps the process alive on its own.
        await Promise.race([sleep(wait, undefined, { ref: false }), ...(stopping ? [] : [stopSignal])]);
        delay = Math.min(delay * 2, retry.max);
      }
    }
  };
  const running = loop();

  return {
    denied(refusal) {
      if (stopping) return;
      buffer.push({ id: randomUUID(), at: new Date().toISOString(), decision: 'DENIED', ...refusal });
      if (buffer.length > maxBuffered) {
        buffer.shift();
        if (dropped++ % 1000 === 0) log.warn({ dropped, maxBuffered }, 'decision log: buffer full; oldest dropped');
      }
      nudge();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const flushTimeout = options.flushTimeoutMs ?? 5_000;
      deadline = Date.now() + flushTimeout;
      stopped();
      nudge();
      // A send hanging on an unreachable broker is not waited for beyond the deadline.
      const timeout = new AbortController();
      await Promise.race([
        running,
        sleep(flushTimeout + 100, undefined, { signal: timeout.signal }).catch(() => undefined),
      ]);
      timeout.abort();
      if (buffer.length > 0) log.warn({ lost: buffer.length }, 'decision log: records not sent before stop');
    },
  };
}

export interface KafkaDecisionLogOptions {
  brokers: string[];
  topicPrefix: string;
  log: Logger;
  maxBuffered?: number;
  flushTimeoutMs?: number;
}

/** The decision log on Kafka: topic `<prefix>cabinet.router-decisions.v1`, message key = request id. */
export function kafkaDecisionLog(options: KafkaDecisionLogOptions): DecisionLog {
  const topic = `${options.topicPrefix}${DECISION_TOPIC}`;
  const producer = new ReconnectingProducer(createKafka('router-decision-log', options.brokers, options.log), [topic]);
  const decisions = createDecisionLog({
    log: options.log,
    maxBuffered: options.maxBuffered,
    flushTimeoutMs: options.flushTimeoutMs,
    send: (records) =>
      producer.send([
        {
          topic,
          messages: records.map((record) => ({
            key: record.requestId,
            value: JSON.stringify(record),
            headers: { 'content-type': 'application/json' },
          })),
        },
      ]),
  });
  options.log.info({ topic }, 'decision log on');
  return {
    denied: decisions.denied,
    async stop() {
      await decisions.stop();
      await producer.close();
    },
  };
}

// graphql-js spells it "more that".
const TOKEN_LIMIT = /Document contains more tha[nt] \d+ tokens/;

/**
 * Records operations refused for exceeding a limit (depth, aliases, fields, tokens). Field
 * refusals are recorded by the authorization plugin, 401s by the HTTP middleware.
 */
export function limitRefusalLogging(decisions: DecisionLog): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors, request }) {
          const refusal = errors.find(
            (error) => typeof error.extensions?.limit === 'string' || TOKEN_LIMIT.test(error.message),
          );
          if (!refusal) return;
          decisions.denied({
            requestId: contextValue.requestId,
            clientAddress: contextValue.clientAddress,
            subject: contextValue.principal?.subject ?? null,
            claims: contextValue.principal?.claims ?? {},
            reason: refusal.message,
            operationName: request.operationName ?? null,
            fields: [],
          });
        },
      };
    },
  };
}
