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

class CreateAllergy extends Migration {
  override up(): void {
    // Lets an allergy reference its patient together with the patient's practice, so a row can
    // never claim a practice its patient does not belong to.
    this.addSql('alter table patient add constraint patient_id_cabinet unique (id, cabinet_id)');
    this.addSql(`create table allergy (
      id uuid primary key,
      patient_id uuid not null,
      cabinet_id uuid not null,
      substance text not null check (length(substance) between 1 and 120),
      substance_key text not null check (length(substance_key) > 0),
      reaction text check (length(reaction) between 1 and 500),
      severity text not null check (severity in ('MILD', 'MODERATE', 'SEVERE', 'LIFE_THREATENING')),
      noted_on date not null check (noted_on <= current_date + 1),
      recorded_by uuid not null,
      recorded_at timestamptz not null default now(),
      removed_at timestamptz,
      removed_by uuid,
      constraint allergy_patient foreign key (patient_id, cabinet_id) references patient (id, cabinet_id),
      constraint allergy_removal_attributed check ((removed_at is null) = (removed_by is null))
    )`);
    // A substance at most once among a patient's active allergies; also serves their listing.
    this.addSql(
      'create unique index allergy_active_substance on allergy (patient_id, substance_key) where removed_at is null',
    );
  }
  override down(): void {
    this.addSql('drop table allergy');
    this.addSql('alter table patient drop constraint patient_id_cabinet');
  }
}

export const migrations: NamedMigration[] = [
  outboxMigration,
  { name: 'patients_0001_patient', class: CreatePatient },
  { name: 'patients_0002_national_id', class: CreatePatientNationalId },
  { name: 'patients_0003_allergy', class: CreateAllergy },
];
