import { Migration } from '@mikro-orm/migrations';
import { type EntityManager, sql } from './database.ts';

/**
 * Idempotent consumption: the id of each handled event is stored in the same transaction as its
 * effect. A redelivered event finds its id taken and changes nothing.
 */
export class InboxMigration extends Migration {
  override up(): void {
    this.addSql(`create table processed_event (
      consumer text not null,
      event_id uuid not null,
      processed_at timestamptz not null default now(),
      primary key (consumer, event_id)
    )`);
  }
  override down(): void {
    this.addSql('drop table processed_event');
  }
}
export const inboxMigration = { name: 'platform_0002_inbox', class: InboxMigration };

/** Claims the event for this consumer inside `em`'s transaction; false when already handled. */
export async function claimEvent(em: EntityManager, consumer: string, eventId: string): Promise<boolean> {
  const rows = await sql(
    em,
    'insert into processed_event (consumer, event_id) values (?, ?) on conflict do nothing returning event_id',
    [consumer, eventId],
  );
  return rows.length === 1;
}
