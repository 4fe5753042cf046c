import { EventEmitter } from 'node:events';

/**
 * In-process fan-out from whatever produced a value (a consumed event) to the live subscriptions
 * of this instance. Each subscriber has its own bounded queue; a slow one loses its oldest items
 * rather than growing without limit.
 */
export class PubSub<T> {
  readonly #emitter = new EventEmitter();
  readonly #queueLimit: number;

  constructor(queueLimit = 1000) {
    this.#emitter.setMaxListeners(0);
    this.#queueLimit = queueLimit;
  }

  publish(value: T): void {
    this.#emitter.emit('value', value);
  }

  get subscriberCount(): number {
    return this.#emitter.listenerCount('value');
  }

  subscribe(accept: (value: T) => boolean): AsyncIterableIterator<T> {
    const queue: T[] = [];
    const waiting: ((result: IteratorResult<T>) => void)[] = [];
    let done = false;
    const listener = (value: T): void => {
      if (done || !accept(value)) return;
      const resolve = waiting.shift();
      if (resolve) {
        resolve({ value, done: false });
        return;
      }
      queue.push(value);
      if (queue.length > this.#queueLimit) queue.shift();
    };
    this.#emitter.on('value', listener);
    const finish = (): Promise<IteratorResult<T>> => {
      done = true;
      this.#emitter.off('value', listener);
      queue.length = 0;
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    };
    return {
      next: () => {
        if (done) return Promise.resolve({ value: undefined, done: true });
        const value = queue.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        return new Promise((resolve) => {
          waiting.push(resolve);
        });
      },
      return: finish,
      throw: (error?: unknown) => {
        void finish();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}
