import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const INFRA = resolve(import.meta.dirname, '../../scripts/infra.sh');

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface DedicatedBroker {
  brokers: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A real Kafka broker of the test's own (own port, own storage), started and stopped with the
 * project's infra script, so a test can take it down without disturbing the shared broker.
 */
export async function dedicatedBroker(): Promise<DedicatedBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-kafka-'));
  const env = {
    ...process.env,
    INFRA_DIR: dir,
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
  };
  const infra = (command: string) => run('bash', [INFRA, command], { env, timeout: 180_000 });
  const broker: DedicatedBroker = {
    brokers: `127.0.0.1:${env.KAFKA_PORT}`,
    start: async () => {
      await infra('kafka-start');
    },
    stop: async () => {
      await infra('kafka-stop');
    },
    destroy: async () => {
      await infra('kafka-stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
