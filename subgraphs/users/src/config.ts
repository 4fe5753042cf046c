import { readFileSync } from 'node:fs';
import { env, parseConfig, serviceConfigSchema, z } from '@cabinet/platform/config';
import { MIN_KEY_ENCRYPTION_KEY_LENGTH } from './auth/key-encryption.ts';

const DAY = 86400;
/** The router refetches the JWKS at most once per this many seconds (jose's cooldown). */
export const ROUTER_JWKS_COOLDOWN_SECONDS = 5;
/** How often an instance re-reads the signing-key ring. */
export const KEY_RING_REFRESH_SECONDS = 1;

const seconds = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const schema = serviceConfigSchema
  .extend({
    PORT: env.port(4001),
    JWT_ISSUER: z.string().min(1).default('urn:cabinet:users'),
    JWT_AUDIENCE: z.string().min(1).default('urn:cabinet:api'),
    ACCESS_TOKEN_TTL_SECONDS: seconds(30, 3600, 300),
    /** Absolute lifetime of a session (refresh-token family), from sign-in. */
    REFRESH_TOKEN_TTL_SECONDS: seconds(300, 365 * DAY, 30 * DAY),
    /** A session unused this long ends (each refresh token's own lifetime). */
    REFRESH_TOKEN_IDLE_SECONDS: seconds(60, 365 * DAY, 7 * DAY),
    /**
     * RS256 private key (PKCS#8 PEM) that seeds an empty signing-key ring; afterwards keys are
     * rotated in the database. Without it the ring starts with a generated key.
     */
    JWT_PRIVATE_KEY: z.string().optional(),
    JWT_PRIVATE_KEY_FILE: z.string().optional(),
    /** Seals the private signing keys at rest (AES-256-GCM). Required in production. */
    JWT_KEY_ENCRYPTION_KEY: env.secret(MIN_KEY_ENCRYPTION_KEY_LENGTH).optional(),
    /** How long a new signing key is published in the JWKS before it signs. */
    KEY_PUBLICATION_DELAY_SECONDS: seconds(1, 3600, 10),
    /** Automatic rotation period of the signing key, in days; 0 = rotate only on demand. */
    KEY_ROTATION_DAYS: z.coerce.number().min(0).max(3650).default(30),
    /** Cache-Control max-age of the JWKS document. */
    JWKS_MAX_AGE_SECONDS: seconds(0, 300, 4),
    /** Login throttling: failures counted over this sliding window... */
    LOGIN_THROTTLE_WINDOW_SECONDS: seconds(1, DAY, 900),
    /** ...at most this many per account (normalized email, known or not)... */
    LOGIN_MAX_FAILURES_PER_EMAIL: seconds(1, 1000, 5),
    /** ...and this many per client address (0 = no limit per address). */
    LOGIN_MAX_FAILURES_PER_ADDRESS: seconds(0, 100000, 20),
    /**
     * Addresses not throttled per address: a reverse proxy the router sees every client through,
     * or local tools. The limit per account still applies to them.
     */
    LOGIN_THROTTLE_EXEMPT_ADDRESSES: env.list().default(['127.0.0.1', '::1', '::ffff:127.0.0.1']),
    /** The first admin account, created at start-up when missing. */
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: env.secret(12).optional(),
    ADMIN_NAME: z.string().default('Administrator'),
    /** Accepted for compatibility and ignored: ADMIN is a platform account without a practice. */
    ADMIN_CABINET_ID: z.uuid().optional(),
  })
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && !config.JWT_KEY_ENCRYPTION_KEY) {
      ctx.addIssue({ code: 'custom', path: ['JWT_KEY_ENCRYPTION_KEY'], message: 'required in production' });
    }
    if (config.ADMIN_EMAIL && !config.ADMIN_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PASSWORD'], message: 'required with ADMIN_EMAIL' });
    }
    if (config.REFRESH_TOKEN_IDLE_SECONDS > config.REFRESH_TOKEN_TTL_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['REFRESH_TOKEN_IDLE_SECONDS'],
        message: 'must not exceed REFRESH_TOKEN_TTL_SECONDS',
      });
    }
    // A new key may sign only once every verifier can have seen it: after any cache of the JWKS
    // has expired, this service's instances have re-read the ring, and the router may refetch.
    const needed = config.JWKS_MAX_AGE_SECONDS + KEY_RING_REFRESH_SECONDS + ROUTER_JWKS_COOLDOWN_SECONDS;
    if (config.KEY_PUBLICATION_DELAY_SECONDS < needed) {
      ctx.addIssue({
        code: 'custom',
        path: ['KEY_PUBLICATION_DELAY_SECONDS'],
        message: `must be at least JWKS_MAX_AGE_SECONDS + ${KEY_RING_REFRESH_SECONDS + ROUTER_JWKS_COOLDOWN_SECONDS} (${needed}): a new key signs only once the router can have fetched it`,
      });
    }
  })
  .transform((config) => ({
    ...config,
    JWT_PRIVATE_KEY:
      config.JWT_PRIVATE_KEY ??
      (config.JWT_PRIVATE_KEY_FILE ? readFileSync(config.JWT_PRIVATE_KEY_FILE, 'utf8') : undefined),
  }));

export type UsersConfig = z.infer<typeof schema>;
export const loadUsersConfig = (source: Record<string, string | undefined>): UsersConfig =>
  parseConfig('users', schema, source);
