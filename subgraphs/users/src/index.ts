import { runMain } from '@cabinet/platform/config';
import { loadUsersConfig } from './config.ts';
import { startUsersService } from './server.ts';

await runMain(async () => {
  const service = await startUsersService(loadUsersConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void service.stop());
});
