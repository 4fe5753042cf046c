import { runMain } from '@cabinet/platform/config';
import { loadConsultationsConfig } from './config.ts';
import { startConsultationsService } from './server.ts';

await runMain(async () => {
  const service = await startConsultationsService(loadConsultationsConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
