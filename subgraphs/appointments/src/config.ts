import { env, parseConfig, serviceConfigSchema, z } from '@cabinet/platform/config';
import { DEFAULT_REMINDER_LEAD_MINUTES } from './domain/reminder.ts';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4006),
  /** Consumer group of the projections of practices, practitioners and patients. */
  KAFKA_GROUP_ID: z.string().min(1).default('appointments'),
  /** How long before an appointment its patient is reminded: a day unless set. */
  REMINDER_LEAD_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(14 * 24 * 60)
    .default(DEFAULT_REMINDER_LEAD_MINUTES),
  /** How long a booking waits for a just-created practice, practitioner or patient to reach the projection. */
  PROJECTION_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
  /** How often due reminders are looked for. */
  REMINDER_POLL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
});

export type AppointmentsConfig = z.infer<typeof schema>;
export const loadAppointmentsConfig = (source: Record<string, string | undefined>): AppointmentsConfig =>
  parseConfig('appointments', schema, source);
