// Integration: real PostgreSQL. Every test here gets a database of its own, created and dropped
// around it, because these tests tamper with the chain: the shared test database stays intact.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MikroORM, openDatabase, sql } from '@cabinet/platform/database';
import { createLogger } from '@cabinet/platform/logger';
import { GENESIS_HASH } from '../domain/chain.ts';
import type { AuditEntry } from '../domain/entry.ts';
import { AuditService } from '../service.ts';
import { AuditRecord } from './audit-record.entity.ts';
import { verifyChain } from './audit-store.ts';
import { migrations } from './migrations.ts';

const POSTGRES_URL = (process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432').replace(/\/$/, '');
const PREFIX = process.env.DB_PREFIX ?? 'cabinet';
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const run = promisify(execFile);

let admin: MikroORM;

before(async () => {
  admin = await MikroORM.init({
    clientUrl: `${POSTGRES_URL}/postgres`,
    entities: [AuditRecord],
    ensureDatabase: false,
    pool: { min: 0, max: 2 },
  });
});

after(async () => {
  await admin?.close(true);
});

interface Scratch {
  orm: MikroORM;
  url: string;
  /** A service on this database whose clock the test sets. */
  service: AuditService;
  clock: { now: Date };
}

/** Runs `body` against a database created for it, dropped afterwards whatever happens. */
async function withScratchDatabase(body: (scratch: Scratch) => Promise<void>): Promise<void> {
  const name = `${PREFIX}_test_audit_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await sql(admin.em.fork(), `create database ${name}`);
  let orm: MikroORM | null = null;
  try {
    const url = `${POSTGRES_URL}/${name}`;
    orm = await openDatabase({ url, entities: [AuditRecord], migrations });
    const clock = { now: new Date() };
    const service = new AuditService({
      orm,
      log: createLogger('audit-test', 'silent'),
      retentionDays: 3650,
      now: () => clock.now,
    });
    await body({ orm, url, service, clock });
  } finally {
    await orm?.close(true);
    await sql(admin.em.fork(), `drop database if exists ${name} with (force)`);
  }
}

const entryOf = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  sourceEventId: randomUUID(),
  occurredAt: new Date(),
  service: 'patients',
  action: 'patient:read',
  entity: 'Patient',
  entityId: randomUUID(),
  patientId: randomUUID(),
  outcome: 'ALLOWED',
  reason: null,
  userId: randomUUID(),
  role: 'DOCTOR',
  cabinetId: randomUUID(),
  requestId: randomUUID(),
  clientAddress: '203.0.113.9',
  ...overrides,
});

interface Row {
  seq: string;
  id: string;
  prev_hash: string;
  hash: string;
}

const rows = (orm: MikroORM): Promise<Row[]> =>
  sql<Row>(orm.em.fork(), 'select seq::text as seq, id, prev_hash, hash from audit_record order by audit_record.seq');

const head = async (orm: MikroORM): Promise<{ seq: string; hash: string } | undefined> =>
  (await sql<{ seq: string; hash: string }>(orm.em.fork(), 'select seq::text as seq, hash from audit_chain_head'))[0];

/** Changes a record as only a superuser can: with the append-only triggers switched off. */
async function tamper(orm: MikroORM, statement: string, params: unknown[]): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    await sql(em, 'alter table audit_record disable trigger user');
    await sql(em, statement, params);
    await sql(em, 'alter table audit_record enable trigger user');
  });
}

async function append(service: AuditService, count: number): Promise<void> {
  for (let i = 0; i < count; i++) assert.equal(await service.record(entryOf()), true);
}

const nth = <T>(items: T[], index: number): T => {
  const item = items[index];
  assert.ok(item !== undefined, `no item ${index}`);
  return item;
};

test('appended records form a chain from the genesis that verifies, and the head follows it', async () => {
  await withScratchDatabase(async ({ orm, service }) => {
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 0 }, 'an empty trail verifies');
    await append(service, 5);
    const chain = await rows(orm);
    assert.equal(chain.length, 5);
    assert.equal(nth(chain, 0).prev_hash, GENESIS_HASH);
    for (let i = 1; i < chain.length; i++) assert.equal(nth(chain, i).prev_hash, nth(chain, i - 1).hash);
    assert.deepEqual(await head(orm), { seq: nth(chain, 4).seq, hash: nth(chain, 4).hash });
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 5 });
    assert.deepEqual(await verifyChain(orm, 2), { ok: true, count: 5 }, 'read in several batches');
  });
});

test('a record altered behind the triggers is found: verification names exactly that seq', async () => {
  await withScratchDatabase(async ({ orm, service }) => {
    await append(service, 6);
    const target = nth(await rows(orm), 3);
    await tamper(orm, "update audit_record set action = 'medicalRecord:read' where seq = ?", [target.seq]);
    for (const batch of [1000, 2, 1]) {
      assert.deepEqual(await verifyChain(orm, batch), {
        ok: false,
        brokenAt: target.seq,
        id: target.id,
        reason: 'content does not match its hash: the record was altered',
      });
    }
  });
});

test('a record deleted behind the triggers is found at the record after it', async () => {
  await withScratchDatabase(async ({ orm, service }) => {
    await append(service, 4);
    const chain = await rows(orm);
    await tamper(orm, 'delete from audit_record where seq = ?', [nth(chain, 1).seq]);
    const result = await verifyChain(orm);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.brokenAt, nth(chain, 2).seq);
    assert.equal(!result.ok && result.id, nth(chain, 2).id);
    assert.match(!result.ok ? result.reason : '', /prev_hash does not match/);
  });
});

test('the last record deleted behind the triggers is found by the chain head', async () => {
  await withScratchDatabase(async ({ orm, service }) => {
    await append(service, 3);
    const last = nth(await rows(orm), 2);
    await tamper(orm, 'delete from audit_record where seq = ?', [last.seq]);
    const result = await verifyChain(orm);
    assert.deepEqual(result, {
      ok: false,
      brokenAt: last.seq,
      id: null,
      reason: `records after seq ${nth(await rows(orm), 1).seq} up to the chain head (seq ${last.seq}) are missing`,
    });
  });
});

test('PostgreSQL refuses UPDATE, DELETE and TRUNCATE of the audit trail, with a clear message', async () => {
  await withScratchDatabase(async ({ orm, service }) => {
    await append(service, 2);
    const first = nth(await rows(orm), 0);
    const em = () => orm.em.fork();
    await assert.rejects(
      sql(em(), "update audit_record set action = 'x' where seq = ?", [first.seq]),
      /audit_record is append-only: UPDATE is refused/,
    );
    await assert.rejects(
      sql(em(), 'delete from audit_record where seq = ?', [first.seq]),
      /audit_record is append-only: DELETE is refused/,
    );
    await assert.rejects(sql(em(), 'truncate audit_record'), /audit_record is append-only: TRUNCATE is refused/);
    await assert.rejects(sql(em(), 'truncate audit_record cascade'), /TRUNCATE is refused/);
    // The purge switch alone is not enough: only records up to a checkpoint may go.
    await assert.rejects(
      orm.em.fork().transactional(async (tx) => {
        await sql(tx, "select set_config('audit.purge', 'on', true)");
        await sql(tx, 'delete from audit_record where seq = ?', [first.seq]);
      }),
      /audit_record is append-only: DELETE is refused/,
    );
    await assert.rejects(sql(em(), 'delete from audit_chain_head'), /DELETE is refused on audit_chain_head/);
    await assert.rejects(sql(em(), 'truncate audit_chain_head'), /TRUNCATE is refused on audit_chain_head/);
    assert.equal((await rows(orm)).length, 2, 'nothing changed');
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 2 });
  });
});

test('the purge removes only the expired start of the chain, after a checkpoint, and the chain still verifies', async () => {
  await withScratchDatabase(async ({ orm, service, clock }) => {
    const longAgo = new Date(Date.now() - 4000 * 24 * 3600 * 1000);
    clock.now = longAgo;
    await append(service, 12); // expired (more than 9: seq compares as a number, not as text)
    clock.now = new Date();
    await append(service, 1); // recent
    clock.now = longAgo;
    await append(service, 1); // dated long ago (a clock step back), but after a recent one: kept
    clock.now = new Date();
    await append(service, 2);
    const before = await rows(orm);

    const result = await service.purgeExpired();
    assert.deepEqual(result, { purged: 12, checkpoint: { seq: nth(before, 11).seq, hash: nth(before, 11).hash } });
    assert.deepEqual(
      (await rows(orm)).map((row) => row.seq),
      before.slice(12).map((row) => row.seq),
    );
    const [checkpoint] = await sql<{ seq: string; hash: string; purged_count: string; retention_days: number }>(
      orm.em.fork(),
      'select seq::text as seq, hash, purged_count::text as purged_count, retention_days from audit_checkpoint',
    );
    assert.deepEqual(checkpoint, {
      seq: nth(before, 11).seq,
      hash: nth(before, 11).hash,
      purged_count: '12',
      retention_days: 3650,
    });
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 4 });

    assert.deepEqual(await service.purgeExpired(), { purged: 0, checkpoint: null }, 'nothing more has expired');
    await append(service, 2);
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 6 }, 'appends go on after the purge');

    // The checkpoint is as append-only as the records.
    await assert.rejects(
      sql(orm.em.fork(), "update audit_checkpoint set hash = repeat('a', 64)"),
      /UPDATE is refused on audit_checkpoint/,
    );
    await assert.rejects(sql(orm.em.fork(), 'delete from audit_checkpoint'), /DELETE is refused on audit_checkpoint/);
    // Even the purge switch cannot reach past the checkpoint.
    await assert.rejects(
      orm.em.fork().transactional(async (tx) => {
        await sql(tx, "select set_config('audit.purge', 'on', true)");
        await sql(tx, 'delete from audit_record');
      }),
      /DELETE is refused/,
    );
    assert.equal((await rows(orm)).length, 6);
  });
});

test('a purge of everything leaves an empty chain that verifies from its checkpoint, then grows again', async () => {
  await withScratchDatabase(async ({ orm, service, clock }) => {
    clock.now = new Date(Date.now() - 4000 * 24 * 3600 * 1000);
    await append(service, 2);
    clock.now = new Date();
    assert.equal((await service.purgeExpired()).purged, 2);
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 0 });
    await append(service, 1);
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 1 });
    const [first] = await rows(orm);
    assert.equal(first?.seq, '3', 'seq goes on where it was');
  });
});

test('tampering after a purge is still found', async () => {
  await withScratchDatabase(async ({ orm, service, clock }) => {
    clock.now = new Date(Date.now() - 4000 * 24 * 3600 * 1000);
    await append(service, 2);
    clock.now = new Date();
    await append(service, 3);
    await service.purgeExpired();
    const target = nth(await rows(orm), 0);
    await tamper(orm, "update audit_record set user_id = 'someone-else' where seq = ?", [target.seq]);
    const result = await verifyChain(orm);
    assert.equal(!result.ok && result.brokenAt, target.seq);
  });
});

test('concurrent appends are serialized into one linear chain, and a duplicate among them is recorded once', async () => {
  await withScratchDatabase(async ({ orm, service }) => {
    const entries = Array.from({ length: 30 }, () => entryOf());
    const duplicate = structuredClone(nth(entries, 0));
    const recorded = await Promise.all([...entries, duplicate].map((entry) => service.record(entry)));
    assert.equal(recorded.filter(Boolean).length, 30);
    const chain = await rows(orm);
    assert.equal(chain.length, 30);
    assert.equal(new Set(chain.map((row) => row.prev_hash)).size, 30, 'no two records link to the same one');
    assert.deepEqual(await verifyChain(orm), { ok: true, count: 30 });
  });
});

test('scripts/audit-verify.ts prints the verdict and exits 1 when the chain is broken', async () => {
  await withScratchDatabase(async ({ orm, url, service }) => {
    await append(service, 3);
    const verify = () =>
      run(process.execPath, ['scripts/audit-verify.ts'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } });
    const intact = await verify();
    assert.deepEqual(JSON.parse(intact.stdout), { ok: true, count: 3 });
    assert.match(intact.stderr, /audit chain intact: 3 record\(s\) verified/);

    const target = nth(await rows(orm), 1);
    await tamper(orm, "update audit_record set outcome = 'DENIED' where seq = ?", [target.seq]);
    const broken = await verify().then(
      () => assert.fail('expected exit code 1'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(broken.code, 1);
    assert.deepEqual(JSON.parse(broken.stdout), {
      ok: false,
      brokenAt: target.seq,
      id: target.id,
      reason: 'content does not match its hash: the record was altered',
    });
    assert.match(broken.stderr, new RegExp(`BROKEN at seq ${target.seq}`));
  });
});

test('scripts/audit-verify.ts exits 2 when it cannot check', async () => {
  const missing = `${POSTGRES_URL}/${PREFIX}_test_audit_missing_${randomUUID().slice(0, 8)}`;
  const failure = await run(process.execPath, ['scripts/audit-verify.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: missing },
  }).then(
    () => assert.fail('expected exit code 2'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(failure.code, 2);
  assert.match(failure.stderr, /audit chain could not be verified/);
  const [created] = await sql<{ n: number }>(
    admin.em.fork(),
    'select count(*)::int as n from pg_database where datname = ?',
    [missing.split('/').at(-1)],
  );
  assert.equal(created?.n, 0, 'the verifier did not create the missing database');
});
