import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<string>();

/**
 * Runs `work` on behalf of the request `requestId`: whatever it starts (awaits, timers, batched
 * loads) still knows the request. Used to attribute what a subgraph does (e.g. its SQL
 * statements) to the request that caused it.
 */
export function inRequest<T>(requestId: string, work: () => T): T {
  return scope.run(requestId, work);
}

/** The id of the request the current code runs for; null outside any request (start-up, outbox relay). */
export function currentRequestId(): string | null {
  return scope.getStore() ?? null;
}
