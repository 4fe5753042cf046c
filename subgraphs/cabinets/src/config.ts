import { env, parseConfig, serviceConfigSchema, type z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4005),
});

export type CabinetsConfig = z.infer<typeof schema>;
export const loadCabinetsConfig = (source: Record<string, string | undefined>): CabinetsConfig =>
  parseConfig('cabinets', schema, source);
