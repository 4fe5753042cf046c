import { runMain } from '@cabinet/platform/config';
import { loadPatientsConfig } from './config.ts';
import { startPatientsService } from './server.ts';

await runMain(async () => {
  const service = await startPatientsService(loadPatientsConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
