import { runMain } from '@cabinet/platform/config';
import { loadNotificationsConfig } from './config.ts';
import { startNotificationsService } from './server.ts';

await runMain(async () => {
  const service = await startNotificationsService(loadNotificationsConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
