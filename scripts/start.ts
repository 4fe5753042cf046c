// `npm start`: runs the whole system on this machine (expects `scripts/infra.sh up` first; the
// README's start command does both). Development secrets are generated on first run and kept
// outside the work tree (~/.config/cabinet-medical, like the machine's databases they unlock),
// never in the repository; the environment overrides them.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { runMain } from '@cabinet/platform/config';
import { describeDemo, seedDemo } from './seed.ts';
import { startSystem } from './system.ts';

interface DevSecrets {
  routerSecret: string;
  adminPassword: string;
  adminCabinetId: string;
  jwtPrivateKey: string;
  dataEncryptionKey?: string;
  keyEncryptionKey?: string;
  /** Password of the demo practices' accounts (scripts/seed.ts). */
  demoPassword?: string;
}

function devSecrets(): DevSecrets {
  const dir = resolve(process.env.XDG_CONFIG_HOME ?? resolve(homedir(), '.config'), 'cabinet-medical');
  const file = resolve(dir, 'dev-secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
    // Secrets added by later versions are generated once and kept.
    if (!stored.dataEncryptionKey || !stored.keyEncryptionKey || !stored.demoPassword) {
      stored.dataEncryptionKey ??= randomBytes(32).toString('base64url');
      stored.keyEncryptionKey ??= randomBytes(32).toString('base64url');
      stored.demoPassword ??= randomBytes(12).toString('base64url');
      writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    }
    return stored;
  }
  mkdirSync(dir, { recursive: true });
  const secrets: DevSecrets = {
    routerSecret: randomBytes(32).toString('base64url'),
    adminPassword: randomBytes(12).toString('base64url'),
    adminCabinetId: randomUUID(),
    dataEncryptionKey: randomBytes(32).toString('base64url'),
    keyEncryptionKey: randomBytes(32).toString('base64url'),
    demoPassword: randomBytes(12).toString('base64url'),
    jwtPrivateKey: generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

await runMain(async () => {
  const env = process.env;
  const secrets = devSecrets();
  const admin = {
    email: env.ADMIN_EMAIL ?? 'admin@cabinet.local',
    password: env.ADMIN_PASSWORD ?? secrets.adminPassword,
    cabinetId: env.ADMIN_CABINET_ID ?? secrets.adminCabinetId,
  };
  const system = await startSystem({
    routerSecret: env.ROUTER_SECRET ?? secrets.routerSecret,
    postgresUrl: env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432',
    databasePrefix: env.DB_PREFIX ?? 'cabinet',
    kafkaBrokers: env.KAFKA_BROKERS ?? `127.0.0.1:${env.KAFKA_PORT ?? '9092'}`,
    admin,
    jwtPrivateKey: env.JWT_PRIVATE_KEY ?? secrets.jwtPrivateKey,
    dataEncryptionKey: env.DATA_ENCRYPTION_KEY ?? (secrets.dataEncryptionKey as string),
    keyEncryptionKey: env.JWT_KEY_ENCRYPTION_KEY ?? (secrets.keyEncryptionKey as string),
    ports: {
      router: Number(env.ROUTER_PORT ?? 4000),
      users: Number(env.USERS_PORT ?? 4001),
      patients: Number(env.PATIENTS_PORT ?? 4002),
      notifications: Number(env.NOTIFICATIONS_PORT ?? 4003),
      audit: Number(env.AUDIT_PORT ?? 4004),
      cabinets: Number(env.CABINETS_PORT ?? 4005),
      appointments: Number(env.APPOINTMENTS_PORT ?? 4006),
      consultations: Number(env.CONSULTATIONS_PORT ?? 4007),
      prescriptions: Number(env.PRESCRIPTIONS_PORT ?? 4008),
    },
    logLevel: env.LOG_LEVEL ?? 'info',
  });
  const stop = async () => {
    await system.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  // Demo practices, through the router like any client; a failure leaves the system running.
  let demo = '';
  if (env.SEED_DEMO !== 'false') {
    const password = secrets.demoPassword as string;
    try {
      const seeded = await seedDemo(system.url, admin, { password, log: (line) => console.log(`demo: ${line}`) });
      demo = `\n${describeDemo(seeded, password)}\n  (demo data ready in ${(seeded.durationMs / 1000).toFixed(1)} s)\n`;
    } catch (error) {
      demo = `\n  Demo data could not be seeded (the system keeps running): ${(error as Error).message}\n`;
    }
  }
  console.log(`
  Cabinet médical is running.

    GraphQL (HTTP, sandbox in a browser):  ${system.url}
    Subscriptions (graphql-ws):            ${system.wsUrl}
    First admin:                           ${admin.email} / ${admin.password}

  Sign in with: mutation { login(email: "${admin.email}", password: "…") { accessToken } }
  then send "Authorization: Bearer <accessToken>". Ctrl-C stops.
${demo}`);
});
