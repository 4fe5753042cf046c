import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, Kafka, type KafkaMessage, logLevel, type Producer } from 'kafkajs';
import type { Logger } from './logger.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'warn', // a broker outage is expected and survived; it is not an error of ours
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'debug',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(clientId: string, brokers: string[], log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 5 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'debug']({ kafka: rest }, `kafka: ${message}`);
      },
  });
}

/** Creates the topics that are missing. Idempotent. */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * A producer that (re)connects on demand, so a broker outage only delays sending. Every topic it
 * is asked to write to is created first (once per connection), since the broker does not create
 * topics on its own: a message for a new topic never blocks the others behind it.
 */
export class ReconnectingProducer {
  readonly #kafka: Kafka;
  readonly #ensured = new Set<string>();
  #producer: Producer | null = null;

  constructor(kafka: Kafka, topics: string[] = []) {
    this.#kafka = kafka;
    this.#pending = topics;
  }

  #pending: string[];

  async send(
    topicMessages: { topic: string; messages: { key: string; value: string; headers: Record<string, string> }[] }[],
  ): Promise<void> {
    try {
      const missing = [...new Set([...this.#pending, ...topicMessages.map((t) => t.topic)])].filter(
        (topic) => !this.#ensured.has(topic),
      );
      if (missing.length > 0) {
        await ensureTopics(this.#kafka, missing);
        for (const topic of missing) this.#ensured.add(topic);
        this.#pending = [];
      }
      if (!this.#producer) {
        const producer = this.#kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 2 } });
        await producer.connect();
        this.#producer = producer;
      }
      await this.#producer.sendBatch({ topicMessages, acks: -1 });
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const producer = this.#producer;
    this.#producer = null;
    this.#ensured.clear();
    await producer?.disconnect().catch(() => undefined);
  }
}

export interface ConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  log: Logger;
  /** Handles one message. Throwing leaves the offset uncommitted: the message comes back. */
  handle: (message: KafkaMessage, topic: string) => Promise<void>;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

/**
 * A consumer that keeps trying: it waits for the broker at start, and when the broker goes away
 * or kafkajs gives up, it starts over. Offsets are committed only after `handle` succeeds, so
 * nothing is lost; redelivery is the handler's to deduplicate.
 */
export function startConsumer(options: ConsumerOptions): RunningConsumer {
  const { kafka, groupId, topics, log, handle } = options;
  let stopped = false;
  let current: Consumer | null = null;
  let wake: (() => void) | null = null;

  const runOnce = async (): Promise<void> => {
    await ensureTopics(kafka, topics);
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 8 },
    });
    current = consumer;
    const crashed = new Promise<void>((resolve) => {
      consumer.on(consumer.events.CRASH, (event) => {
        log.warn({ err: event.payload.error, restart: event.payload.restart }, 'kafka consumer crashed');
        if (!event.payload.restart) resolve();
      });
      wake = resolve;
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ message, topic }) => handle(message, topic),
    });
    log.info({ groupId, topics }, 'kafka consumer running');
    await crashed;
    await consumer.disconnect().catch(() => undefined);
  };

  const loop = async (): Promise<void> => {
    let delay = 500;
    while (!stopped) {
      try {
        await runOnce();
        delay = 500;
      } catch (error) {
        if (stopped) break;
        log.warn({ err: error }, 'kafka consumer could not start; retrying');
        await current?.disconnect().catch(() => undefined);
      }
      if (!stopped) await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  };
  const running = loop();

  return {
    async stop() {
      stopped = true;
      (wake as (() => void) | null)?.();
      await (current as Consumer | null)?.disconnect().catch(() => undefined);
      await running;
    },
  };
}
