import type { NamedMigration } from '@cabinet/platform/database';
import { inboxMigration } from '@cabinet/platform/inbox';
import { outboxMigration } from '@cabinet/platform/outbox';
import { Migration } from '@mikro-orm/migrations';

class CreateNotification extends Migration {
  override up(): void {
    this.addSql(`create table notification (
      id uuid primary key,
      cabinet_id uuid not null,
      audience text not null check (audience in ('USER', 'STAFF')),
      recipient_user_id uuid,
      kind text not null,
      title text not null,
      body text not null,
      patient_id uuid,
      source_event_id uuid not null,
      created_at timestamptz not null default now(),
      constraint personal_has_recipient check ((audience = 'USER') = (recipient_user_id is not null)),
      constraint one_notification_per_event_and_recipient unique nulls not distinct (source_event_id, recipient_user_id)
    )`);
    this.addSql('create index notification_cabinet_recent on notification (cabinet_id, created_at desc)');
    this.addSql(`create table notification_read (
      notification_id uuid not null references notification (id) on delete cascade,
      user_id uuid not null,
      read_at timestamptz not null default now(),
      primary key (notification_id, user_id)
    )`);
  }
  override down(): void {
    this.addSql('drop table notification_read');
    this.addSql('drop table notification');
  }
}

export const migrations: NamedMigration[] = [
  inboxMigration,
  { name: 'notifications_0001_notification', class: CreateNotification },
  outboxMigration,
];
