import { env, parseConfig, z } from '@cabinet/platform/config';

/**
 * The router serves whatever supergraph its configuration names; nothing here is specific to
 * the medical domain. Subgraph URLs come from the supergraph and may be overridden per subgraph
 * with SUBGRAPH_<NAME>_URL (e.g. SUBGRAPH_USERS_URL).
 */
const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: env.port(4000),
    SUPERGRAPH_PATH: z.string().default(new URL('../../schema/supergraph.graphql', import.meta.url).pathname),
    /** Shared with the subgraphs: signs the caller token that proves a request came through here. */
    ROUTER_SECRET: env.secret(32),
    /** `required`: every operation needs a valid token except the public root fields below. */
    AUTH_MODE: z.enum(['required', 'optional']).default('required'),
    AUTH_PUBLIC_FIELDS: env.list().default(['Mutation.login']),
    JWKS_URL: z.url(),
    JWT_ISSUER: z.string().min(1),
    JWT_AUDIENCE: z.string().min(1),
    /** Access-token claims handed to subgraphs, besides the subject. */
    FORWARD_CLAIMS: env.list().default(['role', 'cabinet']),
    INTROSPECTION: env.boolean(true),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(256 * 1024),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .transform((config) => ({
    ...config,
    INTROSPECTION: config.NODE_ENV === 'production' ? false : config.INTROSPECTION,
  }));

export type RouterConfig = z.infer<typeof schema> & { subgraphUrls: Record<string, string> };

export function loadRouterConfig(source: Record<string, string | undefined>): RouterConfig {
  const subgraphUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    const match = /^SUBGRAPH_([A-Z0-9_]+)_URL$/.exec(key);
    if (match?.[1] && value) subgraphUrls[match[1].toLowerCase()] = value;
  }
  return { ...parseConfig('router', schema, source), subgraphUrls };
}
