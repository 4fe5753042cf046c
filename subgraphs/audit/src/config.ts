import { env, parseConfig, serviceConfigSchema, z } from '@cabinet/platform/config';

const schema = serviceConfigSchema.extend({
  PORT: env.port(4004),
  KAFKA_GROUP_ID: z.string().min(1).default('audit'),
  /** How long audit records are kept, in days (ten years by default). */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(3650),
  /** How often expired records are purged, in minutes; 0 purges only on demand. */
  AUDIT_PURGE_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(35_000).default(1440),
});

export type AuditConfig = z.infer<typeof schema>;
export const loadAuditConfig = (source: Record<string, string | undefined>): AuditConfig =>
  parseConfig('audit', schema, source);
