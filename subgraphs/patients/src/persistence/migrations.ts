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

class CreatePatientNationalId extends Migration {
  override up(): void {
    this.addSql(`create table patient_national_id (
      id uuid primary key,
      patient_id uuid not null references patient (id),
      cabinet_id uuid not null,
      type text not null check (type in ('NIR', 'INS', 'CIN', 'PASSPORT')),
      value_encrypted text not null check (value_encrypted like 'v1.%'),
      blind_index text not null,
      created_at timestamptz not null default now(),
      constraint national_id_unique_in_practice unique (cabinet_id, type, blind_index)
    )`);
    this.addSql('create index patient_national_id_patient on patient_national_id (patient_id)');
  }
  override down(): void {
    this.addSql('drop table patient_national_id');
  }
}

export const migrations: NamedMigration[] = [
  outboxMigration,
  { name: 'patients_0001_patient', class: CreatePatient },
  { name: 'patients_0002_national_id', class: CreatePatientNationalId },
];
