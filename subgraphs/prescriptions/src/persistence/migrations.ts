import type { NamedMigration } from '@cabinet/platform/database';
import { inboxMigration } from '@cabinet/platform/inbox';
import { outboxMigration } from '@cabinet/platform/outbox';
import { Migration } from '@mikro-orm/migrations';

/**
 * The medication catalogue: one entry per name, form and strength (compared ignoring case);
 * searched ignoring accents (unaccent).
 */
class CreateCatalogue extends Migration {
  override up(): void {
    this.addSql('create extension if not exists unaccent');
    this.addSql(`create table medication (
      id uuid primary key,
      name text not null check (length(name) between 1 and 120),
      form text not null check (length(form) between 1 and 60),
      strength text not null check (length(strength) between 1 and 60),
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      updated_by uuid not null
    )`);
    this.addSql('create unique index medication_unique on medication (lower(name), lower(form), lower(strength))');
  }
  override down(): void {
    this.addSql('drop table medication');
  }
}

/**
 * Prescriptions, their medication lines and exam requests. Issued once and never changed: the
 * database refuses any update or delete of them (a correction is a new prescription).
 */
class CreatePrescriptions extends Migration {
  override up(): void {
    this.addSql(`create table prescription (
      id uuid primary key,
      consultation_id uuid not null,
      cabinet_id uuid not null,
      patient_id uuid not null,
      practitioner_id uuid not null,
      issued_at timestamptz not null,
      document jsonb not null
    )`);
    this.addSql('create index prescription_consultation on prescription (consultation_id, issued_at)');
    this.addSql('create index prescription_patient on prescription (cabinet_id, patient_id, issued_at)');
    this.addSql(`create table prescription_line (
      prescription_id uuid not null references prescription (id) deferrable initially deferred,
      position smallint not null check (position between 0 and 29),
      medication_id uuid not null references medication (id) deferrable initially deferred,
      medication_name text not null,
      form text not null,
      strength text not null,
      dosage text not null check (length(dosage) between 1 and 200),
      frequency text not null check (length(frequency) between 1 and 200),
      duration text not null check (length(duration) between 1 and 100),
      instructions text check (length(instructions) between 1 and 500),
      primary key (prescription_id, position)
    )`);
    this.addSql(`create table prescription_exam (
      prescription_id uuid not null references prescription (id) deferrable initially deferred,
      position smallint not null check (position between 0 and 29),
      text text not null check (length(text) between 1 and 500),
      primary key (prescription_id, position)
    )`);
    this.addSql(`create function prescription_immutable() returns trigger language plpgsql as $$
      begin
        raise exception 'an issued prescription cannot be changed' using errcode = 'P0001';
      end $$`);
    for (const table of ['prescription', 'prescription_line', 'prescription_exam']) {
      this.addSql(`create trigger ${table}_immutable before update or delete on ${table}
        for each row execute function prescription_immutable()`);
    }
  }
  override down(): void {
    this.addSql('drop table prescription_exam');
    this.addSql('drop table prescription_line');
    this.addSql('drop table prescription');
    this.addSql('drop function prescription_immutable');
  }
}

/** Projections of consultations, practices, practitioners, staff profiles and patients. */
class CreateProjections extends Migration {
  override up(): void {
    this.addSql(`create table known_consultation (
      consultation_id uuid primary key,
      cabinet_id uuid not null,
      patient_id uuid not null,
      practitioner_id uuid not null,
      opened_at timestamptz not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create table known_practice (
      cabinet_id uuid primary key,
      name text not null,
      address_lines jsonb not null,
      phone text,
      time_zone text not null,
      active boolean not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create table known_practitioner (
      user_id uuid not null,
      cabinet_id uuid not null,
      specialty text not null,
      rpps text not null,
      active boolean not null,
      updated_at timestamptz not null default now(),
      primary key (user_id, cabinet_id)
    )`);
    this.addSql(`create table staff_profile (
      user_id uuid primary key,
      role text not null,
      cabinet_id uuid,
      name text not null,
      signature text,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create table known_patient (
      patient_id uuid primary key,
      cabinet_id uuid not null,
      display_name text not null,
      birth_date date,
      updated_at timestamptz not null default now()
    )`);
  }
  override down(): void {
    this.addSql('drop table known_patient');
    this.addSql('drop table staff_profile');
    this.addSql('drop table known_practitioner');
    this.addSql('drop table known_practice');
    this.addSql('drop table known_consultation');
  }
}

export const migrations: NamedMigration[] = [
  outboxMigration,
  inboxMigration,
  { name: 'prescriptions_0001_catalogue', class: CreateCatalogue },
  { name: 'prescriptions_0002_prescriptions', class: CreatePrescriptions },
  { name: 'prescriptions_0003_projections', class: CreateProjections },
];
