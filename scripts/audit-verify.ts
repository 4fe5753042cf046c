// Verifies the audit trail's hash chain, from its last purge checkpoint to its head.
//   node scripts/audit-verify.ts        DATABASE_URL, or the local development audit database
// Prints the verdict as JSON; exits 1 when the chain is broken (naming the first broken link),
// 2 when it could not be checked. Read-only: it runs no migration and changes nothing.
import { MikroORM } from '@cabinet/platform/database';
import { AuditRecord } from '../subgraphs/audit/src/persistence/audit-record.entity.ts';
import { verifyChain } from '../subgraphs/audit/src/persistence/audit-store.ts';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/cabinet_audit';

if (import.meta.main) {
  const url = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  let orm: MikroORM | null = null;
  try {
    orm = await MikroORM.init({
      clientUrl: url,
      entities: [AuditRecord],
      ensureDatabase: false, // a verifier creates nothing, not even a missing database
      pool: { min: 0, max: 1 },
    });
    const result = await verifyChain(orm);
    console.log(JSON.stringify(result));
    if (result.ok) {
      console.error(`audit chain intact: ${result.count} record(s) verified`);
    } else {
      console.error(
        `audit chain BROKEN at seq ${result.brokenAt}${result.id ? ` (record ${result.id})` : ''}: ${result.reason}`,
      );
      process.exitCode = 1;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = /relation .* does not exist/.test(message)
      ? ' (start the audit service once: it creates its tables)'
      : '';
    console.error(`audit chain could not be verified: ${message}${hint}`);
    process.exitCode = 2;
  } finally {
    await orm?.close(true);
  }
}
