import type { KeyObject } from 'node:crypto';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { type RunningSystem, type SystemOptions, startSystem } from '../../scripts/system.ts';

export { JWT_AUDIENCE, JWT_ISSUER } from '../../scripts/system.ts';

export interface TestSystem extends RunningSystem {
  /** The key the users service signs with, so tests can forge tokens it would accept (or not). */
  signingKey: KeyObject;
  routerSecret: string;
  admin: { email: string; password: string; cabinetId: string };
}

export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432';
export const TEST_DB_PREFIX = `${process.env.DB_PREFIX ?? 'cabinet'}_test`;

export const uniqueEmail = (label: string): string => `${label}-${randomUUID().slice(0, 8)}@test.cabinet.local`;

/**
 * The whole system on ephemeral ports against the real PostgreSQL (test databases) and the real
 * Kafka broker. Every run has its own admin and practice, so tests isolate by data, not truncation.
 */
export async function startTestSystem(overrides: Partial<SystemOptions> = {}): Promise<TestSystem> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const routerSecret = randomBytes(32).toString('base64url');
  const run = randomUUID().slice(0, 8);
  const admin = overrides.admin ?? {
    email: uniqueEmail('admin'),
    password: randomBytes(12).toString('base64url'),
    cabinetId: randomUUID(),
  };
  const system = await startSystem({
    routerSecret,
    postgresUrl: POSTGRES_URL,
    databasePrefix: TEST_DB_PREFIX,
    kafkaBrokers: KAFKA_BROKERS,
    // Topics and consumer group of its own: systems started side by side never steal each other's events.
    kafkaGroupId: `notifications-${run}`,
    admin,
    dataEncryptionKey: randomBytes(32).toString('base64url'),
    keyEncryptionKey: randomBytes(32).toString('base64url'),
    jwtPrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ports: {
      router: 0,
      users: 0,
      patients: 0,
      notifications: 0,
      audit: 0,
      cabinets: 0,
      appointments: 0,
      consultations: 0,
      prescriptions: 0,
    },
    logLevel: process.env.TEST_LOG_LEVEL ?? 'error',
    nodeEnv: 'test',
    ...overrides,
    extraEnv: { KAFKA_TOPIC_PREFIX: `test-${run}.`, ...overrides.extraEnv },
  });
  return { ...system, signingKey: privateKey, routerSecret, admin };
}

/**
 * Called at the very end of a test file's last `after` hook. Kafka clients can keep a retry timer
 * armed for a while after a broker went away, which keeps the file's process alive; if anything
 * still holds it 10 s after every test and hook has finished (and reported), exit.
 */
export function exitWhenIdle(): void {
  setTimeout(() => process.exit(), 10_000).unref();
}
