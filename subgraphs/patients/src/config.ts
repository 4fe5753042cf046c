import { env, parseConfig, serviceConfigSchema, type z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4002),
});

export type PatientsConfig = z.infer<typeof schema>;
export const loadPatientsConfig = (source: Record<string, string | undefined>): PatientsConfig =>
  parseConfig('patients', schema, source);
