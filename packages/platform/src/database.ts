import type { Migration } from '@mikro-orm/migrations';
import { Migrator } from '@mikro-orm/migrations';
import { type EntityManager, MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { currentRequestId } from './request-scope.ts';

export type { EntityManager };
export { MikroORM };

/** A migration written by hand: a stable name (the ledger key) and its class. */
export interface NamedMigration {
  name: string;
  class: new (...args: ConstructorParameters<typeof Migration>) => Migration;
}

export interface DatabaseOptions {
  url: string;
  // biome-ignore lint/suspicious/noExplicitAny: MikroORM entity schemas are heterogeneous by nature.
  entities: any[];
  migrations: NamedMigration[];
  debug?: boolean;
  /**
   * Observes every SQL statement the ORM sends (transaction control aside), with the request it
   * runs for (null outside a request). Meant for tests that count queries; unset, nothing is observed.
   */
  onQuery?: QueryObserver;
}

/** Sees one SQL statement about to run, and the request (if any) it runs for. */
export type QueryObserver = (statement: { sql: string; requestId: string | null }) => void;

/** What a test may observe of a subgraph's database; production sets nothing. */
export interface DatabaseHooks {
  onQuery?: QueryObserver;
}

/**
 * Opens the subgraph's own database and brings its schema up to date. Migrations run at start-up
 * under an advisory lock, so two instances starting together do not race each other.
 */
export async function openDatabase(options: DatabaseOptions): Promise<MikroORM> {
  const orm = await MikroORM.init({
    clientUrl: options.url,
    entities: options.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: 10 },
    debug: options.debug ?? false,
    allowGlobalContext: false,
    ...(options.onQuery ? { onQuery: observing(options.onQuery) } : {}),
  });
  // A session-level lock needs one session: a dedicated client, not the pool (whose next query
  // may run on another connection and leave the lock held for the pool's lifetime).
  const lock = new pg.Client({ connectionString: options.url });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock(7201)');
    await orm.migrator.up();
  } catch (error) {
    await orm.close(true);
    throw error;
  } finally {
    await lock.end();
  }
  return orm;
}

/** MikroORM's query hook, reporting the statement unchanged. */
function observing(observer: QueryObserver): (sql: string) => string {
  return (sql) => {
    observer({ sql, requestId: currentRequestId() });
    return sql;
  };
}

/** Runs raw SQL inside the entity manager's current transaction (if any). */
export function sql<T = Record<string, unknown>>(
  em: EntityManager,
  query: string,
  params: readonly unknown[] = [],
): Promise<T[]> {
  return em.getConnection().execute<T[]>(query, params, 'all', em.getTransactionContext());
}
