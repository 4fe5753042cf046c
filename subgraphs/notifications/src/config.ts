import { env, parseConfig, serviceConfigSchema, z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4003),
  KAFKA_GROUP_ID: z.string().min(1).default('notifications'),
});

export type NotificationsConfig = z.infer<typeof schema>;
export const loadNotificationsConfig = (source: Record<string, string | undefined>): NotificationsConfig =>
  parseConfig('notifications', schema, source);
