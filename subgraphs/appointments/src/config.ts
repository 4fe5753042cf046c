import { env, parseConfig, serviceConfigSchema, type z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4006),
});

export type AppointmentsConfig = z.infer<typeof schema>;
export const loadAppointmentsConfig = (source: Record<string, string | undefined>): AppointmentsConfig =>
  parseConfig('appointments', schema, source);
