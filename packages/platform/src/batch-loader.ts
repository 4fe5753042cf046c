/**
 * Loads by key in batches: every `load` made while resolvers run in the same turn is answered by
 * one call of `batch`, and a key loaded twice is loaded once. Meant to live for one request only
 * (see `perRequest`), so nothing is cached across callers.
 */
export class BatchLoader<K, V> {
  readonly #batch: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;
  readonly #missing: (key: K) => V;
  readonly #cache = new Map<K, Promise<V>>();
  #pending: { key: K; resolve: (value: V) => void; reject: (error: unknown) => void }[] = [];

  /**
   * `batch` answers a list of distinct keys; a key it leaves out gets `missing(key)`. When it
   * throws, every load of that batch rejects with its error.
   */
  constructor(batch: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>, missing: (key: K) => V) {
    this.#batch = batch;
    this.#missing = missing;
  }

  load(key: K): Promise<V> {
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const promise = new Promise<V>((resolve, reject) => {
      // GraphQL resolves the items of a list one after the other in the same turn, and what they
      // await settles in microtasks: dispatching after them (setImmediate) collects them all.
      if (this.#pending.length === 0) setImmediate(() => void this.#dispatch());
      this.#pending.push({ key, resolve, reject });
    });
    this.#cache.set(key, promise);
    return promise;
  }

  async #dispatch(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    try {
      const values = await this.#batch(pending.map((entry) => entry.key));
      for (const entry of pending)
        entry.resolve(values.has(entry.key) ? (values.get(entry.key) as V) : this.#missing(entry.key));
    } catch (error) {
      for (const entry of pending) {
        // A failed load is not cached: a later load in the same request tries again.
        this.#cache.delete(entry.key);
        entry.reject(error);
      }
    }
  }
}

/** One value per request context object (e.g. one loader per GraphQL request), dropped with it. */
export function perRequest<C extends object, T>(create: (context: C) => T): (context: C) => T {
  const byContext = new WeakMap<C, T>();
  return (context) => {
    let value = byContext.get(context);
    if (value === undefined) {
      value = create(context);
      byContext.set(context, value);
    }
    return value;
  };
}
