import { runMain } from '@cabinet/platform/config';
import { loadAppointmentsConfig } from './config.ts';
import { startAppointmentsService } from './server.ts';

await runMain(async () => {
  const service = await startAppointmentsService(loadAppointmentsConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
