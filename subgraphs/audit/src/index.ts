import { runMain } from '@cabinet/platform/config';
import { loadAuditConfig } from './config.ts';
import { startAuditService } from './server.ts';

await runMain(async () => {
  const service = await startAuditService(loadAuditConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
