import { setTimeout as sleep } from 'node:timers/promises';
import { defineEntity, p } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { type EntityManager, type MikroORM, sql } from './database.ts';
import type { EventEnvelope } from './events.ts';
import type { ReconnectingProducer } from './kafka.ts';
import type { Logger } from './logger.ts';

/**
 * Transactional outbox: a domain write and the event announcing it are stored in the same
 * transaction; the relay publishes afterwards. An event is never lost when the broker is down and
 * never published for a write that rolled back.
 */
export const OutboxEvent = defineEntity({
  name: 'OutboxEvent',
  tableName: 'outbox_event',
  properties: {
    id: p.uuid().primary(),
    topic: p.string(),
    key: p.string(),
    type: p.string(),
    payload: p.json<EventEnvelope>(),
    occurredAt: p.datetime(),
    publishedAt: p.datetime().nullable(),
    attempts: p.integer().default(0),
  },
});

export class OutboxMigration extends Migration {
  override up(): void {
    this.addSql(`create table outbox_event (
      id uuid primary key,
      topic text not null,
      key text not null,
      type text not null,
      payload jsonb not null,
      occurred_at timestamptz not null,
      published_at timestamptz,
      attempts integer not null default 0
    )`);
    this.addSql('create index outbox_event_pending on outbox_event (occurred_at) where published_at is null');
  }
  override down(): void {
    this.addSql('drop table outbox_event');
  }
}
export const outboxMigration = { name: 'platform_0001_outbox', class: OutboxMigration };

/** Adds the event to the unit of work; it is written by the same flush as the domain change. */
export function recordEvent(em: EntityManager, topic: string, key: string, event: EventEnvelope): void {
  em.create(OutboxEvent, {
    id: event.id,
    topic,
    key,
    type: event.type,
    payload: event,
    occurredAt: new Date(event.occurredAt),
    publishedAt: null,
    attempts: 0,
  });
}

export interface OutboxRelayOptions {
  orm: MikroORM;
  producer: ReconnectingProducer;
  log: Logger;
  batchSize?: number;
  /** How often to look for events when nobody nudged the relay. */
  pollMs?: number;
}

interface PendingRow {
  id: string;
  topic: string;
  key: string;
  type: string;
  payload: EventEnvelope;
}

/** Publishes pending outbox rows in order, at least once. Several instances may run at once. */
export class OutboxRelay {
  readonly #options: Required<OutboxRelayOptions>;
  #running: Promise<void> | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;

  constructor(options: OutboxRelayOptions) {
    this.#options = { batchSize: 100, pollMs: 1000, ...options };
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Called after a commit that recorded events, so they go out without waiting for the poll. */
  nudge(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.nudge();
    await this.#running;
  }

  /** Publishes one batch; returns how many events went out. */
  async publishBatch(): Promise<number> {
    const { orm, producer, batchSize } = this.#options;
    const outcome = await orm.em.fork().transactional(async (em): Promise<{ published: number; error?: unknown }> => {
      const rows = await sql<PendingRow>(
        em,
        `select id, topic, key, type, payload from outbox_event
         where published_at is null order by occurred_at, id limit ? for update skip locked`,
        [batchSize],
      );
      if (rows.length === 0) return { published: 0 };
      // An array parameter expands to a list of literals: `in (?)`, not `= any(?)`.
      const ids = rows.map((row) => row.id);
      const byTopic = new Map<string, PendingRow[]>();
      for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
      try {
        await producer.send(
          [...byTopic].map(([topic, topicRows]) => ({
            topic,
            messages: topicRows.map((row) => ({
              key: row.key,
              value: JSON.stringify(row.payload),
              headers: { 'event-id': row.id, 'event-type': row.type },
            })),
          })),
        );
      } catch (error) {
        // Returned, not thrown: throwing here would roll the attempt count back with the transaction.
        await sql(em, 'update outbox_event set attempts = attempts + 1 where id in (?)', [ids]);
        return { published: 0, error };
      }
      await sql(em, 'update outbox_event set published_at = now() where id in (?)', [ids]);
      return { published: rows.length };
    });
    if ('error' in outcome) throw outcome.error;
    return outcome.published;
  }

  async #loop(): Promise<void> {
    const { log, pollMs } = this.#options;
    let backoff = 250;
    while (!this.#stopped) {
      let published = 0;
      try {
        published = await this.publishBatch();
        if (published > 0) log.debug({ published }, 'outbox published');
        backoff = 250;
      } catch (error) {
        log.warn({ err: error }, 'outbox relay could not publish; will retry');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      if (published === 0 && !this.#stopped) await this.#idle(pollMs);
    }
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }
}
