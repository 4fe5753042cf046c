import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager, MikroORM } from './database.ts';
import type { EventEnvelope } from './events.ts';
import { claimEvent } from './inbox.ts';
import type { Logger } from './logger.ts';

/** What one event changes in a projection, inside the transaction that also claims the event. */
export type ProjectionChange = (em: EntityManager, at: Date) => Promise<unknown>;

export interface ProjectionOptions {
  orm: MikroORM;
  log: Logger;
  /** The inbox name of this projection (its claimed event ids are its own). */
  consumer: string;
  /** The change an event makes; null for an event the projection ignores. */
  changeFor: (event: EventEnvelope) => ProjectionChange | null;
}

/**
 * A subgraph's own copy of what it needs of other subgraphs' data, kept from their events, never
 * asked for synchronously: each event applied once (its id claimed in the same transaction as its
 * change), in the order of its aggregate (one partition per key).
 */
export class Projection {
  readonly #options: ProjectionOptions;

  constructor(options: ProjectionOptions) {
    this.#options = options;
  }

  /** Applies one event; returns whether it changed anything (false: not relevant, or already applied). */
  async apply(event: EventEnvelope): Promise<boolean> {
    const { orm, log, consumer, changeFor } = this.#options;
    const change = changeFor(event);
    if (!change) return false;
    return orm.em.fork().transactional(async (em) => {
      if (!(await claimEvent(em, consumer, event.id))) return false;
      await change(em, new Date(event.occurredAt));
      log.debug({ eventId: event.id, type: event.type }, 'projection updated');
      return true;
    });
  }
}

/**
 * What a projection knows, waiting a moment when it does not know yet: something created just
 * before reaches another subgraph by an event a few milliseconds behind the caller. Probes every
 * `intervalMs` until `probe` finds it or `waitMs` has passed (then null).
 */
export async function eventually<T>(
  probe: () => Promise<T | null>,
  waitMs = 3000,
  intervalMs = 100,
): Promise<T | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await probe();
    if (found || Date.now() >= deadline) return found;
    await sleep(intervalMs);
  }
}
