import type { NamedMigration } from '@cabinet/platform/database';
import { inboxMigration } from '@cabinet/platform/inbox';
import { outboxMigration } from '@cabinet/platform/outbox';
import { Migration } from '@mikro-orm/migrations';

class CreateSchedule extends Migration {
  override up(): void {
    this.addSql(`create table appointment_type (
      id uuid primary key,
      cabinet_id uuid not null,
      label text not null check (length(label) between 1 and 100),
      duration_minutes integer not null check (duration_minutes between 5 and 240),
      self_bookable boolean not null default false,
      created_at timestamptz not null default now(),
      created_by uuid not null,
      constraint appointment_type_id_cabinet unique (id, cabinet_id)
    )`);
    this.addSql('create index appointment_type_cabinet on appointment_type (cabinet_id, label)');
    this.addSql(`create table practitioner_schedule (
      practitioner_id uuid not null,
      cabinet_id uuid not null,
      time_zone text not null check (length(time_zone) between 1 and 64),
      updated_at timestamptz not null default now(),
      updated_by uuid not null,
      primary key (practitioner_id, cabinet_id)
    )`);
    this.addSql(`create table availability_rule (
      id uuid primary key,
      practitioner_id uuid not null,
      cabinet_id uuid not null,
      weekday smallint not null check (weekday between 1 and 7),
      start_time text not null check (start_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      end_time text not null check (end_time ~ '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$'),
      check (start_time < end_time),
      foreign key (practitioner_id, cabinet_id) references practitioner_schedule (practitioner_id, cabinet_id)
    )`);
    this.addSql('create index availability_rule_practitioner on availability_rule (practitioner_id, cabinet_id)');
    this.addSql(`create table availability_exception (
      id uuid primary key,
      practitioner_id uuid not null,
      cabinet_id uuid not null,
      start_date date not null,
      end_date date not null,
      reason text check (length(reason) between 1 and 500),
      created_at timestamptz not null default now(),
      created_by uuid not null,
      check (end_date >= start_date)
    )`);
    this.addSql(
      'create index availability_exception_practitioner on availability_exception (practitioner_id, cabinet_id, end_date)',
    );
  }
  override down(): void {
    this.addSql('drop table availability_exception');
    this.addSql('drop table availability_rule');
    this.addSql('drop table practitioner_schedule');
    this.addSql('drop table appointment_type');
  }
}

/**
 * Appointments. No two live appointments of a practitioner overlap: PostgreSQL itself refuses it
 * (exclusion constraint, SQLSTATE 23P01), so concurrent bookings cannot both win. Cancelled and
 * no-show appointments free their time; overbooked ones (an explicit, audited decision) are
 * outside the constraint.
 */
class CreateAppointment extends Migration {
  override up(): void {
    this.addSql('create extension if not exists btree_gist');
    this.addSql(`create table appointment (
      id uuid primary key,
      cabinet_id uuid not null,
      patient_id uuid not null,
      practitioner_id uuid not null,
      appointment_type_id uuid not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      period tstzrange not null generated always as (tstzrange(starts_at, ends_at, '[)')) stored,
      status text not null check (status in
        ('PENDING', 'BOOKED', 'ARRIVED', 'IN_CONSULTATION', 'FULFILLED', 'CANCELLED', 'NO_SHOW')),
      cancellation_reason text check (length(cancellation_reason) between 1 and 500),
      overbooked boolean not null default false,
      created_at timestamptz not null default now(),
      created_by uuid not null,
      updated_at timestamptz not null default now(),
      constraint appointment_type_of_practice foreign key (appointment_type_id, cabinet_id)
        references appointment_type (id, cabinet_id),
      constraint appointment_ends_after_start check (ends_at > starts_at),
      constraint appointment_cancellation_reason check ((status = 'CANCELLED') = (cancellation_reason is not null)),
      constraint appointment_no_overlap exclude using gist (practitioner_id with =, period with &&)
        where (status not in ('CANCELLED', 'NO_SHOW') and not overbooked)
    )`);
    this.addSql('create index appointment_cabinet_time on appointment (cabinet_id, starts_at)');
    this.addSql('create index appointment_practitioner_period on appointment using gist (practitioner_id, period)');
  }
  override down(): void {
    this.addSql('drop table appointment');
  }
}

/** The waiting room: when the patient checked in, and when they were called in. */
class AddWaitingRoom extends Migration {
  override up(): void {
    this.addSql('alter table appointment add column arrived_at timestamptz, add column called_at timestamptz');
    this.addSql(
      "create index appointment_waiting_room on appointment (cabinet_id, practitioner_id, arrived_at) where status = 'ARRIVED'",
    );
  }
  override down(): void {
    this.addSql('drop index appointment_waiting_room');
    this.addSql('alter table appointment drop column called_at, drop column arrived_at');
  }
}

/**
 * A practitioner sees one patient at a time: at most one IN_CONSULTATION appointment each. Data
 * written before the rule could hold several; all but the latest called are closed as FULFILLED.
 */
class OneConsultationAtATime extends Migration {
  override up(): void {
    this.addSql(`update appointment a set status = 'FULFILLED', updated_at = now()
      where a.status = 'IN_CONSULTATION' and exists (
        select 1 from appointment b
        where b.practitioner_id = a.practitioner_id and b.status = 'IN_CONSULTATION'
          and (coalesce(b.called_at, b.updated_at), b.id) > (coalesce(a.called_at, a.updated_at), a.id))`);
    this.addSql(
      "create unique index appointment_one_in_consultation on appointment (practitioner_id) where status = 'IN_CONSULTATION'",
    );
  }
  override down(): void {
    this.addSql('drop index appointment_one_in_consultation');
  }
}

/** Day-before reminders, scheduled durably. */
class CreateReminders extends Migration {
  override up(): void {
    this.addSql(`create table appointment_reminder (
      appointment_id uuid primary key references appointment (id) on delete cascade deferrable initially deferred,
      starts_at timestamptz not null,
      due_at timestamptz not null,
      sent_at timestamptz,
      constraint reminder_due_before_appointment check (due_at < starts_at)
    )`);
    this.addSql('create index appointment_reminder_due on appointment_reminder (due_at) where sent_at is null');
  }
  override down(): void {
    this.addSql('drop table appointment_reminder');
  }
}

/** Projections of practices, practitioners and patients, fed by the cabinets and patients events. */
class CreateProjections extends Migration {
  override up(): void {
    this.addSql(`create table known_practice (
      cabinet_id uuid primary key,
      time_zone text not null,
      active boolean not null,
      updated_at timestamptz not null default now()
    )`);
    this.addSql(`create table known_practitioner (
      user_id uuid not null,
      cabinet_id uuid not null,
      active boolean not null,
      updated_at timestamptz not null default now(),
      primary key (user_id, cabinet_id)
    )`);
    this.addSql(`create table known_patient (
      patient_id uuid primary key,
      cabinet_id uuid not null,
      updated_at timestamptz not null default now()
    )`);
  }
  override down(): void {
    this.addSql('drop table known_patient');
    this.addSql('drop table known_practitioner');
    this.addSql('drop table known_practice');
  }
}

/** A patient's appointments (`Patient.appointments`), for every patient of a request in one query. */
class IndexPatientAppointments extends Migration {
  override up(): void {
    this.addSql('create index if not exists appointment_patient on appointment (cabinet_id, patient_id, starts_at)');
  }
  override down(): void {
    this.addSql('drop index if exists appointment_patient');
  }
}

export const migrations: NamedMigration[] = [
  outboxMigration,
  { name: 'appointments_0001_schedule', class: CreateSchedule },
  { name: 'appointments_0002_appointment', class: CreateAppointment },
  { name: 'appointments_0003_waiting_room', class: AddWaitingRoom },
  { name: 'appointments_0004_one_consultation', class: OneConsultationAtATime },
  { name: 'appointments_0005_reminders', class: CreateReminders },
  inboxMigration,
  { name: 'appointments_0006_projections', class: CreateProjections },
  { name: 'appointments_0007_patient_appointments', class: IndexPatientAppointments },
];
