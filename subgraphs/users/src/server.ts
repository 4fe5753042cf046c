import { readFileSync } from 'node:fs';
import { type DatabaseHooks, openDatabase } from '@cabinet/platform/database';
import { USERS_TOPIC } from '@cabinet/platform/events';
import { createLogger } from '@cabinet/platform/logger';
import { startPublishing } from '@cabinet/platform/publishing';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import { generateKeyEncryptionKey, KeyEncryption } from './auth/key-encryption.ts';
import { KeyRing } from './auth/key-ring.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { KEY_RING_REFRESH_SECONDS, type UsersConfig } from './config.ts';
import { entities } from './persistence/entities.ts';
import { migrations } from './persistence/migrations.ts';
import { createResolvers } from './resolvers.ts';
import { UsersService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** A retired key stays published this much longer than the access-token lifetime (clock skew, slow instances). */
const RETIREMENT_MARGIN_SECONDS = 60;
const PURGE_EVERY_MS = 10 * 60 * 1000;

/**
 * Starts the users subgraph: database, signing-key ring, outbox relay to Kafka (staff profile
 * events and the audit trail), first admin, HTTP with the JWKS document.
 */
export async function startUsersService(config: UsersConfig, hooks: DatabaseHooks = {}): Promise<RunningServer> {
  const log = createLogger('users', config.LOG_LEVEL);
  const orm = await openDatabase({ url: config.DATABASE_URL, entities, migrations, onQuery: hooks.onQuery });
  const { topic, auditor, nudge, ...publishing } = startPublishing({
    service: 'users',
    orm,
    log,
    config,
    topic: USERS_TOPIC,
  });

  if (!config.JWT_KEY_ENCRYPTION_KEY) {
    log.warn(
      'no JWT_KEY_ENCRYPTION_KEY: generated a throwaway one (development only); the signing keys of earlier runs cannot be opened and a new key ring starts',
    );
  }
  const keys = new KeyRing({
    orm,
    encryption: new KeyEncryption(config.JWT_KEY_ENCRYPTION_KEY ?? generateKeyEncryptionKey()),
    lifecycle: {
      publicationDelaySeconds: config.KEY_PUBLICATION_DELAY_SECONDS,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      rotationIntervalSeconds: Math.round(config.KEY_ROTATION_DAYS * 86400),
      retirementMarginSeconds: RETIREMENT_MARGIN_SECONDS,
    },
    refreshMs: KEY_RING_REFRESH_SECONDS * 1000,
    log,
  });
  await keys.init(config.JWT_PRIVATE_KEY);
  keys.start();

  const users = new UsersService({
    orm,
    log,
    keys,
    tokens: { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS },
    refresh: { ttlSeconds: config.REFRESH_TOKEN_TTL_SECONDS, idleSeconds: config.REFRESH_TOKEN_IDLE_SECONDS },
    throttle: new LoginThrottle(orm, {
      windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS,
      maxFailuresPerEmail: config.LOGIN_MAX_FAILURES_PER_EMAIL,
      maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
      exemptAddresses: config.LOGIN_THROTTLE_EXEMPT_ADDRESSES,
    }),
    auditor,
    topic,
    onEventsRecorded: nudge,
  });
  if (config.ADMIN_CABINET_ID) log.warn('ADMIN_CABINET_ID is ignored: an ADMIN account belongs to no practice');
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    await users.ensureAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD, name: config.ADMIN_NAME });
  }
  const purge = setInterval(() => {
    users.purgeExpired().catch((error: unknown) => log.warn({ err: error }, 'purge of expired sessions failed'));
  }, PURGE_EVERY_MS);
  purge.unref();

  const server = await startSubgraph({
    name: 'users',
    typeDefs,
    resolvers: createResolvers(users),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
    routes: (app) => {
      // The keys as this instance last read them (every second): waiting, current, and retired ones still in use.
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', `public, max-age=${config.JWKS_MAX_AGE_SECONDS}`).json(keys.jwks());
      });
    },
  });
  return {
    ...server,
    async stop() {
      clearInterval(purge);
      await server.stop();
      await keys.stop();
      await publishing.stop();
      await orm.close();
    },
  };
}
