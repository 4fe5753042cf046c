import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadRouterConfig } from '../router/src/config.ts';
import { loadAppointmentsConfig } from '../subgraphs/appointments/src/config.ts';
import { loadAuditConfig } from '../subgraphs/audit/src/config.ts';
import { loadCabinetsConfig } from '../subgraphs/cabinets/src/config.ts';
import { loadConsultationsConfig } from '../subgraphs/consultations/src/config.ts';
import { loadNotificationsConfig } from '../subgraphs/notifications/src/config.ts';
import { loadPatientsConfig } from '../subgraphs/patients/src/config.ts';
import { loadPrescriptionsConfig } from '../subgraphs/prescriptions/src/config.ts';
import { loadUsersConfig } from '../subgraphs/users/src/config.ts';
import { ROOT } from './compose.ts';

// No Docker engine here: the compose file is checked statically, against the services' own
// configuration validators, so it cannot drift from what the services require.
interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: unknown;
}
const compose = parse(readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const supergraph = parse(readFileSync(resolve(ROOT, 'supergraph.yaml'), 'utf8')) as {
  subgraphs: Record<string, unknown>;
};

const values: Record<string, string> = {
  ROUTER_SECRET: 'r'.repeat(40),
  POSTGRES_PASSWORD: 'pw',
  JWT_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString(),
  ADMIN_PASSWORD: 'a long admin password',
  DATA_ENCRYPTION_KEY: 'd'.repeat(40),
  JWT_KEY_ENCRYPTION_KEY: 'j'.repeat(40),
  ADMIN_CABINET_ID: randomUUID(),
};

/** Substitutes ${VAR}, ${VAR:-default} and ${VAR:?message} as compose does. */
function environmentOf(service: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(compose.services[service]?.environment ?? {})) {
    env[key] = String(raw).replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
      if (values[name] !== undefined) return values[name];
      if (op === '-') return arg ?? '';
      throw new Error(`${service}.${key}: ${name} is required (${arg})`);
    });
  }
  return env;
}

const loaders: Record<string, (env: Record<string, string>) => unknown> = {
  users: loadUsersConfig,
  patients: loadPatientsConfig,
  notifications: loadNotificationsConfig,
  audit: loadAuditConfig,
  cabinets: loadCabinetsConfig,
  appointments: loadAppointmentsConfig,
  consultations: loadConsultationsConfig,
  prescriptions: loadPrescriptionsConfig,
  router: loadRouterConfig,
};

test('every subgraph of supergraph.yaml and the router have a compose service', () => {
  for (const name of [...Object.keys(supergraph.subgraphs), 'router']) assert.ok(compose.services[name], name);
});

for (const [service, load] of Object.entries(loaders)) {
  test(`the ${service} service's environment passes its configuration validator`, () => {
    assert.doesNotThrow(() => load(environmentOf(service)));
  });
  test(`the ${service} service's entry point exists`, () => {
    const entry = compose.services[service]?.command?.at(-1);
    assert.ok(entry && existsSync(resolve(ROOT, entry)), `${entry} exists`);
  });
}

test('the router points at every subgraph by its compose service name', () => {
  const env = environmentOf('router');
  for (const name of Object.keys(supergraph.subgraphs)) {
    const url = env[`SUBGRAPH_${name.toUpperCase()}_URL`];
    assert.ok(url, `SUBGRAPH_${name.toUpperCase()}_URL is set`);
    assert.match(url, new RegExp(`^http://${name}:\\d+/graphql$`));
  }
});

test('no secret is written in the compose file', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (/SECRET|PASSWORD|PRIVATE_KEY|ENCRYPTION_KEY/.test(key))
        assert.match(String(value), /^\$\{\w+:\?/, `${name}.${key} must come from the environment`);
    }
  }
});
