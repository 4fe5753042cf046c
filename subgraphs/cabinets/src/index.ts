import { runMain } from '@cabinet/platform/config';
import { loadCabinetsConfig } from './config.ts';
import { startCabinetsService } from './server.ts';

await runMain(async () => {
  const service = await startCabinetsService(loadCabinetsConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
