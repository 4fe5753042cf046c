import { readFileSync } from 'node:fs';
import { env, parseConfig, serviceConfigSchema, z } from '@cabinet/platform/config';

const schema = serviceConfigSchema
  .extend({
    PORT: env.port(4001),
    JWT_ISSUER: z.string().min(1).default('urn:cabinet:users'),
    JWT_AUDIENCE: z.string().min(1).default('urn:cabinet:api'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
    /** RS256 private key (PKCS#8 PEM). Without it a throwaway key is generated (not in production). */
    JWT_PRIVATE_KEY: z.string().optional(),
    JWT_PRIVATE_KEY_FILE: z.string().optional(),
    /** The first admin account, created at start-up when missing. */
    ADMIN_EMAIL: z.email().optional(),
    ADMIN_PASSWORD: env.secret(12).optional(),
    ADMIN_NAME: z.string().default('Administrator'),
    ADMIN_CABINET_ID: z.uuid().optional(),
  })
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && !config.JWT_PRIVATE_KEY && !config.JWT_PRIVATE_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: ['JWT_PRIVATE_KEY'], message: 'required in production' });
    }
    if (config.ADMIN_EMAIL && (!config.ADMIN_PASSWORD || !config.ADMIN_CABINET_ID)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'ADMIN_PASSWORD and ADMIN_CABINET_ID are required with ADMIN_EMAIL',
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
