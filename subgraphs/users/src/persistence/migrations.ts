import type { NamedMigration } from '@cabinet/platform/database';
import { outboxMigration } from '@cabinet/platform/outbox';
import { Migration } from '@mikro-orm/migrations';

class CreateUserAccount extends Migration {
  override up(): void {
    this.addSql(`create table user_account (
      id uuid primary key,
      email text not null check (email = lower(email) and length(email) <= 254),
      name text not null check (length(name) between 1 and 120),
      role text not null check (role in ('ADMIN', 'DOCTOR', 'SECRETARY', 'PATIENT')),
      cabinet_id uuid,
      password_hash text not null,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint staff_belongs_to_a_practice check (role = 'ADMIN' or cabinet_id is not null)
    )`);
    this.addSql('create unique index user_account_email on user_account (email)');
    this.addSql('create index user_account_cabinet on user_account (cabinet_id)');
  }
  override down(): void {
    this.addSql('drop table user_account');
  }
}

/** ADMIN is a platform account outside any practice; a PATIENT account is linked to its patient file. */
class AccountModel extends Migration {
  override up(): void {
    this.addSql('alter table user_account add column patient_id uuid');
    this.addSql(`update user_account set cabinet_id = null where role = 'ADMIN'`);
    this.addSql(`alter table user_account add constraint admin_has_no_practice
      check (role <> 'ADMIN' or cabinet_id is null)`);
    this.addSql(`alter table user_account add constraint patient_account_is_linked
      check ((role = 'PATIENT') = (patient_id is not null))`);
    this.addSql('create unique index user_account_patient on user_account (patient_id) where patient_id is not null');
  }
  override down(): void {
    this.addSql('drop index user_account_patient');
    this.addSql('alter table user_account drop constraint patient_account_is_linked');
    this.addSql('alter table user_account drop constraint admin_has_no_practice');
    this.addSql('alter table user_account drop column patient_id');
  }
}

class CreateSessions extends Migration {
  override up(): void {
    this.addSql(`create table auth_session (
      id uuid primary key,
      user_id uuid not null references user_account (id),
      created_at timestamptz not null,
      expires_at timestamptz not null,
      last_refreshed_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text,
      constraint revocation_has_a_reason check ((revoked_at is null) = (revoked_reason is null))
    )`);
    this.addSql('create index auth_session_user on auth_session (user_id) where revoked_at is null');
    this.addSql('create index auth_session_expiry on auth_session (expires_at)');
    this.addSql(`create table refresh_token (
      id uuid primary key,
      session_id uuid not null references auth_session (id) on delete cascade deferrable initially deferred,
      token_hash text not null check (length(token_hash) = 64),
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz
    )`);
    this.addSql('create unique index refresh_token_hash on refresh_token (token_hash)');
    this.addSql('create index refresh_token_session on refresh_token (session_id)');
  }
  override down(): void {
    this.addSql('drop table refresh_token');
    this.addSql('drop table auth_session');
  }
}

class CreateLoginAttempts extends Migration {
  override up(): void {
    // email_key is the SHA-256 of the normalized email: attempts on unknown emails are counted too.
    this.addSql(`create table login_attempt (
      id uuid primary key,
      email_key text not null,
      client_address text,
      attempted_at timestamptz not null
    )`);
    this.addSql('create index login_attempt_email on login_attempt (email_key, attempted_at)');
    this.addSql(`create index login_attempt_address on login_attempt (client_address, attempted_at)
      where client_address is not null`);
    this.addSql('create index login_attempt_age on login_attempt (attempted_at)');
  }
  override down(): void {
    this.addSql('drop table login_attempt');
  }
}

class CreateSigningKeys extends Migration {
  override up(): void {
    this.addSql(`create table signing_key (
      id uuid primary key,
      ring text not null,
      kid text not null,
      status text not null check (status in ('next', 'current', 'retired', 'expired')),
      public_jwk jsonb not null,
      private_key_sealed text check (private_key_sealed like 'v1.%'),
      created_at timestamptz not null,
      activates_at timestamptz not null,
      activated_at timestamptz,
      retired_at timestamptz,
      unpublish_at timestamptz,
      constraint signing_key_kid_in_ring unique (ring, kid),
      constraint live_key_has_private_key check (status = 'expired' or private_key_sealed is not null),
      constraint retired_key_has_an_end check (status <> 'retired' or unpublish_at is not null)
    )`);
    // At most one key signs, and at most one waits to take over, per ring.
    this.addSql(`create unique index signing_key_one_current on signing_key (ring) where status = 'current'`);
    this.addSql(`create unique index signing_key_one_next on signing_key (ring) where status = 'next'`);
  }
  override down(): void {
    this.addSql('drop table signing_key');
  }
}

/**
 * Staff account management: a phone and a prescription signature per account, and the unaccent
 * extension, so the staff list finds "Hélène" when "helene" is typed.
 */
class StaffProfile extends Migration {
  override up(): void {
    this.addSql('create extension if not exists unaccent');
    this.addSql(`alter table user_account
      add column phone text constraint user_account_phone_length check (length(phone) between 6 and 30),
      add column signature text constraint user_account_signature_length check (length(signature) between 1 and 200)`);
  }
  override down(): void {
    this.addSql('alter table user_account drop column signature, drop column phone');
  }
}

export const migrations: NamedMigration[] = [
  { name: 'users_0001_user_account', class: CreateUserAccount },
  outboxMigration,
  { name: 'users_0002_account_model', class: AccountModel },
  { name: 'users_0003_sessions', class: CreateSessions },
  { name: 'users_0004_login_attempts', class: CreateLoginAttempts },
  { name: 'users_0005_signing_keys', class: CreateSigningKeys },
  { name: 'users_0006_staff_profile', class: StaffProfile },
];
