import { env, parseConfig, serviceConfigSchema, z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4007),
  /** Consumer group of the projections of patients and appointments. */
  KAFKA_GROUP_ID: z.string().min(1).default('consultations'),
  /** How long opening a consultation waits for a just-booked appointment or just-registered patient to reach the projection. */
  PROJECTION_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
});

export type ConsultationsConfig = z.infer<typeof schema>;
export const loadConsultationsConfig = (source: Record<string, string | undefined>): ConsultationsConfig =>
  parseConfig('consultations', schema, source);
