import type { NamedMigration } from '@cabinet/platform/database';
import { inboxMigration } from '@cabinet/platform/inbox';
import { Migration } from '@mikro-orm/migrations';
import { GENESIS_HASH } from '../domain/chain.ts';

/**
 * The audit trail: append-only, enforced by PostgreSQL itself, and hash-chained (see
 * domain/chain.ts). Records leave only through the retention purge, from the start of the chain,
 * after a checkpoint that lets verification start where the remaining chain does.
 */
class CreateAuditRecord extends Migration {
  override up(): void {
    this.addSql(`create table audit_record (
      seq bigint generated always as identity primary key,
      id uuid not null unique,
      source_event_id uuid not null,
      occurred_at timestamptz not null,
      recorded_at timestamptz not null,
      service text not null,
      action text not null,
      entity text not null,
      entity_id text,
      patient_id text,
      outcome text not null check (outcome in ('ALLOWED', 'DENIED')),
      reason text,
      user_id text,
      role text,
      cabinet_id text,
      request_id text,
      client_address text,
      prev_hash text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
      hash text not null check (hash ~ '^[0-9a-f]{64}$'),
      constraint one_record_per_source_event unique (source_event_id)
    )`);
    this.addSql('create index audit_record_recent on audit_record (occurred_at desc, seq desc)');
    this.addSql(
      'create index audit_record_patient on audit_record (patient_id, occurred_at desc) where patient_id is not null',
    );
    this.addSql('create index audit_record_user on audit_record (user_id, occurred_at desc) where user_id is not null');
    this.addSql(
      'create index audit_record_cabinet on audit_record (cabinet_id, occurred_at desc) where cabinet_id is not null',
    );

    // The end of the chain: the one row every append locks, so appends are serialized and the
    // chain stays linear; and the anchor that reveals records removed from the end.
    this.addSql(`create table audit_chain_head (
      singleton boolean primary key default true check (singleton),
      seq bigint not null,
      hash text not null check (hash ~ '^[0-9a-f]{64}$')
    )`);
    this.addSql(`insert into audit_chain_head (seq, hash) values (0, '${GENESIS_HASH}')`);

    // Where the chain starts again after a purge: the last purged record's seq and hash.
    this.addSql(`create table audit_checkpoint (
      seq bigint primary key,
      hash text not null check (hash ~ '^[0-9a-f]{64}$'),
      purged_at timestamptz not null default now(),
      purged_count bigint not null,
      retention_days integer not null
    )`);

    this.addSql(`create function audit_record_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        if current_setting('audit.purge', true) = 'on'
           and old.seq <= coalesce((select max(seq) from audit_checkpoint), 0) then
          return old;
        end if;
        raise exception 'audit_record is append-only: DELETE is refused'
          using errcode = 'insufficient_privilege',
                hint = 'Records leave the audit trail only through the retention purge, after a checkpoint.';
      end if;
      raise exception 'audit_record is append-only: % is refused', tg_op
        using errcode = 'insufficient_privilege',
              hint = 'The audit trail is never changed; a correction is a new record.';
    end
    $$`);
    this.addSql(`create trigger audit_record_append_only before update or delete on audit_record
      for each row execute function audit_record_append_only()`);
    this.addSql(`create trigger audit_record_no_truncate before truncate on audit_record
      for each statement execute function audit_record_append_only()`);

    this.addSql(`create function audit_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is refused on %: the audit trail is append-only', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end
    $$`);
    this.addSql(`create trigger audit_checkpoint_append_only before update or delete on audit_checkpoint
      for each row execute function audit_refuse_change()`);
    this.addSql(`create trigger audit_checkpoint_no_truncate before truncate on audit_checkpoint
      for each statement execute function audit_refuse_change()`);
    this.addSql(`create trigger audit_chain_head_kept before delete on audit_chain_head
      for each row execute function audit_refuse_change()`);
    this.addSql(`create trigger audit_chain_head_no_truncate before truncate on audit_chain_head
      for each statement execute function audit_refuse_change()`);
  }

  override down(): void {
    this.addSql('drop table audit_checkpoint');
    this.addSql('drop table audit_chain_head');
    this.addSql('drop table audit_record');
    this.addSql('drop function audit_refuse_change');
    this.addSql('drop function audit_record_append_only');
  }
}

export const migrations: NamedMigration[] = [
  inboxMigration,
  { name: 'audit_0001_audit_record', class: CreateAuditRecord },
];
