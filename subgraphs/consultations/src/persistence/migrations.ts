import type { NamedMigration } from '@cabinet/platform/database';
import { inboxMigration } from '@cabinet/platform/inbox';
import { outboxMigration } from '@cabinet/platform/outbox';
import { Migration } from '@mikro-orm/migrations';

/**
 * Consultations and their addenda. The rules of the domain hold in the database too: vital signs
 * within their plausible ranges (src/domain/vitals.ts), one consultation per appointment, and a
 * signed consultation is final: a trigger refuses any UPDATE or DELETE of a signed row (SQLSTATE
 * 55000), an addendum goes only to a signed consultation, and addenda are never changed.
 */
class CreateConsultation extends Migration {
  override up(): void {
    this.addSql(`create table consultation (
      id uuid primary key,
      cabinet_id uuid not null,
      patient_id uuid not null,
      practitioner_id uuid not null,
      appointment_id uuid,
      type text not null check (type in
        ('CONSULTATION', 'FOLLOW_UP', 'EMERGENCY', 'TELECONSULTATION', 'HOME_VISIT', 'PREVENTIVE')),
      status text not null check (status in ('DRAFT', 'SIGNED')),
      reason text check (length(reason) <= 500),
      examination text check (length(examination) <= 10000),
      systolic_mm_hg integer check (systolic_mm_hg between 50 and 260),
      diastolic_mm_hg integer check (diastolic_mm_hg between 30 and 160),
      heart_rate_bpm integer check (heart_rate_bpm between 20 and 250),
      temperature_celsius double precision check (temperature_celsius between 30 and 45),
      weight_kg double precision check (weight_kg between 0.5 and 400),
      height_cm double precision check (height_cm between 30 and 250),
      spo2_percent integer check (spo2_percent between 50 and 100),
      diagnoses jsonb not null default '[]' check (jsonb_typeof(diagnoses) = 'array'),
      observations text check (length(observations) <= 10000),
      requested_exams jsonb not null default '[]' check (jsonb_typeof(requested_exams) = 'array'),
      opened_at timestamptz not null default now(),
      signed_at timestamptz,
      updated_at timestamptz not null default now(),
      constraint consultation_one_per_appointment unique (appointment_id),
      constraint consultation_signed_at check ((status = 'SIGNED') = (signed_at is not null)),
      constraint consultation_pressure check (diastolic_mm_hg < systolic_mm_hg)
    )`);
    this.addSql('create index consultation_patient on consultation (cabinet_id, patient_id, opened_at desc)');
    this.addSql(`create function consultation_signed_is_final() returns trigger language plpgsql as $$
      begin
        if old.signed_at is not null then
          raise exception 'consultation % is signed and can no longer be changed', old.id
            using errcode = '55000', constraint = 'consultation_signed_is_final';
        end if;
        return case when tg_op = 'DELETE' then old else new end;
      end $$`);
    this.addSql(`create trigger consultation_signed_is_final before update or delete on consultation
      for each row execute function consultation_signed_is_final()`);
    this.addSql(`create table consultation_addendum (
      id uuid primary key,
      consultation_id uuid not null references consultation (id),
      text text not null check (length(text) between 1 and 5000),
      author_id uuid not null,
      created_at timestamptz not null default now(),
      position bigint generated always as identity
    )`);
    this.addSql('create index consultation_addendum_of on consultation_addendum (consultation_id, position)');
    this.addSql(`create function consultation_addendum_rules() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' then
          raise exception 'an addendum is never changed' using errcode = '55000',
            constraint = 'consultation_addendum_rules';
        end if;
        if not exists (select 1 from consultation where id = new.consultation_id and signed_at is not null) then
          raise exception 'consultation % is not signed: it takes no addendum', new.consultation_id
            using errcode = '55000', constraint = 'consultation_addendum_rules';
        end if;
        return new;
      end $$`);
    this.addSql(`create trigger consultation_addendum_rules before insert or update or delete on consultation_addendum
      for each row execute function consultation_addendum_rules()`);
  }
  override down(): void {
    this.addSql('drop table consultation_addendum');
    this.addSql('drop function consultation_addendum_rules');
    this.addSql('drop table consultation');
    this.addSql('drop function consultation_signed_is_final');
  }
}

/** Projections of patients and appointments, fed by the patients and appointments events. */
class CreateProjections extends Migration {
  override up(): void {
    this.addSql(`create table known_patient (
      patient_id uuid primary key,
      cabinet_id uuid not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create table known_appointment (
      appointment_id uuid primary key,
      cabinet_id uuid not null,
      patient_id uuid not null,
      practitioner_id uuid not null,
      status text not null,
      updated_at timestamptz not null default now()
    )`);
  }
  override down(): void {
    this.addSql('drop table known_appointment');
    this.addSql('drop table known_patient');
  }
}

export const migrations: NamedMigration[] = [
  outboxMigration,
  inboxMigration,
  { name: 'consultations_0001_consultation', class: CreateConsultation },
  { name: 'consultations_0002_projections', class: CreateProjections },
];
