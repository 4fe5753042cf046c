import { runMain } from '@cabinet/platform/config';
import { loadPrescriptionsConfig } from './config.ts';
import { startPrescriptionsService } from './server.ts';

await runMain(async () => {
  const service = await startPrescriptionsService(loadPrescriptionsConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
