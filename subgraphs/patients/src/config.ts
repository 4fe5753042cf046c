import { env, parseConfig, serviceConfigSchema, type z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4002),
  /** Encrypts national identifiers at rest (and keys their blind index). Secret; 32+ characters. */
  DATA_ENCRYPTION_KEY: env.secret(32),
});

export type PatientsConfig = z.infer<typeof schema>;
export const loadPatientsConfig = (source: Record<string, string | undefined>): PatientsConfig =>
  parseConfig('patients', schema, source);
