import type { NamedMigration } from '@cabinet/platform/database';
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

export const migrations: NamedMigration[] = [{ name: 'users_0001_user_account', class: CreateUserAccount }];
