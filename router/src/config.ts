import { env, parseConfig, z } from '@cabinet/platform/config';

/** A positive integer setting. */
const limit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

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
    /**
     * `required`: a request without a token is refused (HTTP 401) unless every root field it
     * selects is public, i.e. its schema rules hold without a token (`@policy(policies:
     * [["public"]])`). `optional`: such requests run, and field authorization refuses what needs a
     * token (UNAUTHENTICATED errors).
     */
    AUTH_MODE: z.enum(['required', 'optional']).default('required'),
    /**
     * What a selected field with no access rule (no @authenticated, @requiresScopes or @policy on
     * it, its parent type or its return type) gets: `deny` (refused as unauthorized) or `allow`.
     */
    AUTHZ_DEFAULT: z.enum(['deny', 'allow']).default('deny'),
    /** Access-token claim holding the scopes @requiresScopes checks: space-separated string or array. */
    AUTHZ_SCOPE_CLAIM: z.string().min(1).default('scope'),
    JWKS_URL: z.url(),
    JWT_ISSUER: z.string().min(1),
    JWT_AUDIENCE: z.string().min(1),
    /** Access-token claims handed to subgraphs, besides the subject. */
    FORWARD_CLAIMS: env.list().default(['role', 'cabinet', 'patient', 'sid']),
    INTROSPECTION: env.boolean(true),
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(256 * 1024),
    // Limits every operation (HTTP and WebSocket) must stay within; beyond, HTTP 400 and nothing runs.
    /** Deepest field nesting (a root field is at depth 1). */
    MAX_DEPTH: limit(15),
    /** Aliased fields, fragments expanded. */
    MAX_ALIASES: limit(30),
    /** Root fields of one operation, fragments expanded. */
    MAX_ROOT_FIELDS: limit(20),
    /** Fields of one operation in all, fragments expanded. */
    MAX_FIELDS: limit(500),
    /** Lexical tokens of a document; parsing stops beyond. */
    MAX_TOKENS: limit(5000),
    /**
     * Kafka brokers (comma-separated) of the decision log, which publishes one record per refused
     * request (401, limits) or per operation with refused fields to
     * `<DECISION_LOG_TOPIC_PREFIX>cabinet.router-decisions.v1`. Unset: no decision log.
     */
    DECISION_LOG_KAFKA_BROKERS: env.list().optional(),
    DECISION_LOG_TOPIC_PREFIX: z
      .string()
      .regex(/^[a-z0-9._-]*$/)
      .default(''),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .transform((config) => ({
    ...config,
    INTROSPECTION: config.NODE_ENV === 'production' ? false : config.INTROSPECTION,
    DECISION_LOG_KAFKA_BROKERS:
      config.DECISION_LOG_KAFKA_BROKERS && config.DECISION_LOG_KAFKA_BROKERS.length > 0
        ? config.DECISION_LOG_KAFKA_BROKERS
        : undefined,
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
