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

/**
 * The patient file: address, insurance (mutuelle), emergency contact, referring physician, and
 * archiving (a file is never deleted). Name search ignores accents: the unaccent extension.
 */
class PatientFile extends Migration {
  override up(): void {
    this.addSql('create extension if not exists unaccent');
    this.addSql(`alter table patient
      add column address_street text check (length(address_street) between 1 and 200),
      add column address_postal_code text,
      add column address_city text,
      add column address_country text check (address_country ~ '^[A-Z]{2}$'),
      add column insurance_organism text check (length(insurance_organism) between 1 and 120),
      add column insurance_member_number text check (length(insurance_member_number) between 1 and 40),
      add column insurance_valid_until date,
      add column emergency_name text check (length(emergency_name) between 1 and 120),
      add column emergency_relationship text check (length(emergency_relationship) between 1 and 60),
      add column emergency_phone text,
      add column referring_name text check (length(referring_name) between 1 and 120),
      add column referring_rpps text check (referring_rpps ~ '^[0-9]{11}$'),
      add column referring_phone text,
      add column updated_at timestamptz,
      add column updated_by uuid,
      add column archived_at timestamptz,
      add column archived_by uuid,
      add column archive_reason text check (length(archive_reason) between 1 and 500),
      add constraint patient_address_whole check (
        (address_street is null) = (address_postal_code is null)
        and (address_street is null) = (address_city is null)
        and (address_street is null) = (address_country is null)),
      add constraint patient_insurance_whole check ((insurance_organism is null) = (insurance_member_number is null)),
      add constraint patient_emergency_whole check (
        (emergency_name is null) = (emergency_relationship is null)
        and (emergency_name is null) = (emergency_phone is null)),
      add constraint patient_referring_named check (
        referring_name is not null or (referring_rpps is null and referring_phone is null)),
      add constraint patient_archive_attributed check (
        (archived_at is null) = (archived_by is null) and (archived_at is null) = (archive_reason is null))`);
  }
  override down(): void {
    this.addSql(`alter table patient
      drop column address_street, drop column address_postal_code, drop column address_city,
      drop column address_country, drop column insurance_organism, drop column insurance_member_number,
      drop column insurance_valid_until, drop column emergency_name, drop column emergency_relationship,
      drop column emergency_phone, drop column referring_name, drop column referring_rpps,
      drop column referring_phone, drop column updated_at, drop column updated_by, drop column archived_at,
      drop column archived_by, drop column archive_reason`);
  }
}

/**
 * The medical record besides allergies: one table of structured entries, a section each, with
 * the columns that section uses (checked here), dated, attributed, removed softly.
 */
class CreateRecordEntry extends Migration {
  override up(): void {
    this.addSql(`create table record_entry (
      id uuid primary key,
      patient_id uuid not null,
      cabinet_id uuid not null,
      section text not null check (section in
        ('MEDICAL_HISTORY', 'SURGICAL_HISTORY', 'FAMILY_HISTORY', 'TREATMENT', 'HABIT', 'DOCUMENT')),
      condition text check (length(condition) between 1 and 200),
      code text check (code ~ '^[A-Z0-9.+-]{1,16}$'),
      relation text check (length(relation) between 1 and 60),
      occurred text check (occurred ~ '^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$'),
      medication text check (length(medication) between 1 and 200),
      dosage text check (length(dosage) between 1 and 200),
      since date,
      until date,
      habit text check (habit in ('TOBACCO', 'ALCOHOL', 'PHYSICAL_ACTIVITY', 'OTHER')),
      label text check (length(label) between 1 and 80),
      value text check (length(value) between 1 and 200),
      title text check (length(title) between 1 and 200),
      document_kind text check (document_kind in ('LAB_RESULT', 'IMAGING', 'REPORT', 'LETTER', 'PRESCRIPTION', 'OTHER')),
      document_date date,
      content_type text check (length(content_type) between 3 and 100),
      size_bytes bigint check (size_bytes > 0),
      storage_ref text check (length(storage_ref) between 1 and 500),
      recorded_by uuid not null,
      recorded_at timestamptz not null default now(),
      removed_at timestamptz,
      removed_by uuid,
      constraint record_entry_patient foreign key (patient_id, cabinet_id) references patient (id, cabinet_id),
      constraint record_entry_removal_attributed check ((removed_at is null) = (removed_by is null)),
      constraint record_entry_history check (section not like '%_HISTORY' or (condition is not null
        and (section = 'FAMILY_HISTORY') = (relation is not null))),
      constraint record_entry_treatment check (section <> 'TREATMENT' or (medication is not null and since is not null
        and (until is null or until >= since))),
      constraint record_entry_habit check (section <> 'HABIT' or (habit is not null and value is not null
        and (habit <> 'OTHER' or label is not null))),
      constraint record_entry_document check (section <> 'DOCUMENT' or (title is not null and document_kind is not null
        and document_date is not null and content_type is not null and size_bytes is not null and storage_ref is not null))
    )`);
    this.addSql('create index record_entry_patient on record_entry (patient_id) where removed_at is null');
  }
  override down(): void {
    this.addSql('drop table record_entry');
  }
}

export const migrations: NamedMigration[] = [
  outboxMigration,
  { name: 'patients_0001_patient', class: CreatePatient },
  { name: 'patients_0002_national_id', class: CreatePatientNationalId },
  { name: 'patients_0003_allergy', class: CreateAllergy },
  { name: 'patients_0004_patient_file', class: PatientFile },
  { name: 'patients_0005_record_entry', class: CreateRecordEntry },
];
