import { readFileSync } from 'node:fs';
import { openDatabase } from '@cabinet/platform/database';
import { createLogger } from '@cabinet/platform/logger';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import { loadSigningKeys } from './auth/signing-keys.ts';
import type { UsersConfig } from './config.ts';
import { migrations } from './persistence/migrations.ts';
import { User } from './persistence/user.entity.ts';
import { createResolvers } from './resolvers.ts';
import { UsersService } from './service.ts';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Starts the users subgraph: database, signing keys, first admin, HTTP with the JWKS document. */
export async function startUsersService(config: UsersConfig): Promise<RunningServer> {
  const log = createLogger('users', config.LOG_LEVEL);
  const orm = await openDatabase({ url: config.DATABASE_URL, entities: [User], migrations });
  const keys = await loadSigningKeys(config.JWT_PRIVATE_KEY);
  if (!config.JWT_PRIVATE_KEY) log.warn('no JWT_PRIVATE_KEY: generated a throwaway signing key (development only)');
  const users = new UsersService(
    orm,
    keys,
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS },
    log,
  );
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD && config.ADMIN_CABINET_ID) {
    await users.ensureAdmin({
      email: config.ADMIN_EMAIL,
      password: config.ADMIN_PASSWORD,
      name: config.ADMIN_NAME,
      cabinetId: config.ADMIN_CABINET_ID,
    });
  }
  const server = await startSubgraph({
    name: 'users',
    typeDefs,
    resolvers: createResolvers(users),
    host: config.HOST,
    port: config.PORT,
    routerSecret: config.ROUTER_SECRET,
    log,
    routes: (app) => {
      app.get('/.well-known/jwks.json', (_req, res) => {
        res.set('cache-control', 'public, max-age=300').json(keys.jwks);
      });
    },
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await orm.close();
    },
  };
}
