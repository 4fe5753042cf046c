import { runMain } from '@cabinet/platform/config';
import { loadRouterConfig } from './config.ts';
import { startRouter } from './server.ts';

await runMain(async () => {
  const router = await startRouter(loadRouterConfig(process.env));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void router.stop());
});
