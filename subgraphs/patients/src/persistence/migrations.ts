import type { NamedMigration } from '@cabinet/platform/database';
import { outboxMigration } from '@cabinet/platform/outbox';
import { Migration } from '@mikro-orm/migrations';

class CreatePatient extends Migration {
  override up(): void {
    this.addSql(`create table patient (
      id uuid primary key,
      cabinet_id uuid not null,
      first_name text not null check (length(first_name) between 1 and 100),
      last_name text not null check (length(last_name) between 1 and 100),
      birth_date date not null check (birth_date <= current_date + 1),
      sex text not null check (sex in ('FEMALE', 'MALE', 'OTHER', 'UNKNOWN')),
      phone text,
      email text,
      created_at timestamptz not null default now(),
      created_by uuid not null
    )`);
    this.addSql('create index patient_cabinet_name on patient (cabinet_id, lower(last_name), lower(first_name))');
  }
  override down(): void {
    this.addSql('drop table patient');
  }
}

export const migrations: NamedMigration[] = [outboxMigration, { name: 'patients_0001_patient', class: CreatePatient }];
