import { env, parseConfig, serviceConfigSchema, z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4008),
  /** Consumer group of the projections of consultations, practices, practitioners, staff profiles and patients. */
  KAFKA_GROUP_ID: z.string().min(1).default('prescriptions'),
  /** How long issuing waits for a just-opened consultation (and what its document shows) to reach the projection. */
  PROJECTION_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
});

export type PrescriptionsConfig = z.infer<typeof schema>;
export const loadPrescriptionsConfig = (source: Record<string, string | undefined>): PrescriptionsConfig =>
  parseConfig('prescriptions', schema, source);
