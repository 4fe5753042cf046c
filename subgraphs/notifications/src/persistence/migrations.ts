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

/**
 * Notifications about appointments: addressed to the practice's secretaries or to a patient's
 * account(s) too, and naming their appointment. One event makes at most one notification per
 * audience and recipient.
 */
class AddAudiences extends Migration {
  override up(): void {
    this.addSql('alter table notification add column recipient_patient_id uuid, add column appointment_id uuid');
    this.addSql('alter table notification drop constraint notification_audience_check');
    this.addSql(
      "alter table notification add constraint notification_audience_check check (audience in ('USER', 'STAFF', 'SECRETARIES', 'PATIENT'))",
    );
    this.addSql(
      "alter table notification add constraint patient_notification_has_patient check ((audience = 'PATIENT') = (recipient_patient_id is not null))",
    );
    this.addSql('alter table notification drop constraint one_notification_per_event_and_recipient');
    this.addSql(`alter table notification add constraint one_notification_per_event_and_recipient
      unique nulls not distinct (source_event_id, audience, recipient_user_id, recipient_patient_id)`);
    this.addSql(
      "create index notification_patient_recent on notification (recipient_patient_id, created_at desc) where audience = 'PATIENT'",
    );
  }
  override down(): void {
    this.addSql('drop index notification_patient_recent');
    this.addSql('alter table notification drop constraint one_notification_per_event_and_recipient');
    this.addSql('alter table notification drop constraint patient_notification_has_patient');
    this.addSql('alter table notification drop column appointment_id, drop column recipient_patient_id');
  }
}

export const migrations: NamedMigration[] = [
  inboxMigration,
  { name: 'notifications_0001_notification', class: CreateNotification },
  outboxMigration,
  { name: 'notifications_0002_audiences', class: AddAudiences },
];
