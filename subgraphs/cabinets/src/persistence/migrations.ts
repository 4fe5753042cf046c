import type { NamedMigration } from '@cabinet/platform/database';
import { outboxMigration } from '@cabinet/platform/outbox';
import { Migration } from '@mikro-orm/migrations';

class CreateCabinet extends Migration {
  override up(): void {
    this.addSql(`create table cabinet (
      id uuid primary key,
      name text not null check (length(name) between 2 and 120),
      specialty text not null check (length(specialty) between 2 and 100),
      street text not null check (length(street) between 1 and 200),
      postal_code text not null check (length(postal_code) between 2 and 10),
      city text not null check (length(city) between 1 and 100),
      country text not null check (country ~ '^[A-Z]{2}$'),
      phone text,
      email text,
      logo_url text check (logo_url like 'https://%' and length(logo_url) <= 2048),
      opening_hours jsonb not null default '[]' check (jsonb_typeof(opening_hours) = 'array'),
      time_zone text not null check (length(time_zone) between 1 and 64),
      active boolean not null default true,
      created_at timestamptz not null default now(),
      created_by uuid not null,
      updated_at timestamptz not null default now(),
      updated_by uuid not null,
      deactivated_at timestamptz,
      deactivated_by uuid,
      constraint cabinet_deactivation_attributed check (
        (active and deactivated_at is null and deactivated_by is null)
        or (not active and deactivated_at is not null and deactivated_by is not null)
      )
    )`);
    // Names are unique ignoring case, deactivated practices included.
    this.addSql('create unique index cabinet_name_unique on cabinet (lower(name))');
  }
  override down(): void {
    this.addSql('drop table cabinet');
  }
}

class CreatePractitioner extends Migration {
  override up(): void {
    this.addSql(`create table practitioner (
      id uuid primary key,
      cabinet_id uuid not null references cabinet (id),
      user_id uuid not null,
      specialty text not null check (length(specialty) between 2 and 100),
      rpps text not null check (rpps ~ '^[0-9]{11}$'),
      attached_at timestamptz not null default now(),
      attached_by uuid not null,
      detached_at timestamptz,
      detached_by uuid,
      constraint practitioner_detachment_attributed check ((detached_at is null) = (detached_by is null))
    )`);
    // An RPPS number, and a doctor's account, is attached to one practice at a time.
    this.addSql('create unique index practitioner_active_rpps on practitioner (rpps) where detached_at is null');
    this.addSql('create unique index practitioner_active_user on practitioner (user_id) where detached_at is null');
    this.addSql('create index practitioner_cabinet on practitioner (cabinet_id) where detached_at is null');
  }
  override down(): void {
    this.addSql('drop table practitioner');
  }
}

export const migrations: NamedMigration[] = [
  outboxMigration,
  { name: 'cabinets_0001_cabinet', class: CreateCabinet },
  { name: 'cabinets_0002_practitioner', class: CreatePractitioner },
];
