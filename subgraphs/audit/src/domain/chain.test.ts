import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  type AuditContent,
  type ChainAnchor,
  type ChainedRecord,
  ChainVerifier,
  CONTENT_FIELDS,
  canonicalJson,
  contentOf,
  GENESIS,
  GENESIS_HASH,
  hashRecord,
  link,
  verifyRecords,
} from './chain.ts';
import type { AuditEntry } from './entry.ts';

const entry = (n: number): AuditEntry => ({
  sourceEventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  occurredAt: new Date(Date.UTC(2025, 0, 1, 12, 0, n)),
  service: 'patients',
  action: 'patient:read',
  entity: 'Patient',
  entityId: `p-${n}`,
  patientId: `p-${n}`,
  outcome: 'ALLOWED',
  reason: null,
  userId: 'u-doctor',
  role: 'DOCTOR',
  cabinetId: 'c-1',
  requestId: `r-${n}`,
  clientAddress: '203.0.113.7',
});

/** A valid chain of `n` records, as appending them one after the other would store them. */
function chain(n: number, start: ChainAnchor = GENESIS): ChainedRecord[] {
  const records: ChainedRecord[] = [];
  let previous = start;
  for (let i = 1; i <= n; i++) {
    const content = contentOf(
      entry(i),
      `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      new Date(Date.UTC(2025, 0, 1, 12, 1, i)),
    );
    const seq = String(BigInt(previous.seq) + 1n);
    const record = { ...content, seq, ...link(previous, content) };
    records.push(record);
    previous = { seq, hash: record.hash };
  }
  return records;
}

const headOf = (records: ChainedRecord[]): ChainAnchor => {
  const last = records.at(-1);
  assert.ok(last);
  return { seq: last.seq, hash: last.hash };
};

const at = <T>(items: T[], index: number): T => {
  const item = items[index];
  assert.ok(item !== undefined, `no item ${index}`);
  return item;
};

test('the genesis hash is 64 zeros', () => {
  assert.equal(GENESIS_HASH, '0000000000000000000000000000000000000000000000000000000000000000');
  assert.deepEqual(GENESIS, { seq: '0', hash: GENESIS_HASH });
});

test('canonical JSON lists exactly the content fields, in their fixed order, absent values as null', () => {
  const content = contentOf(entry(1), 'id-1', new Date('2025-01-01T12:01:01.000Z'));
  const shuffled = Object.fromEntries(Object.entries(content).reverse()) as unknown as AuditContent;
  const extra = { ...content, seq: '42', hash: 'x', prevHash: 'y', somethingElse: 1 } as AuditContent;
  assert.equal(canonicalJson(shuffled), canonicalJson(content));
  assert.equal(canonicalJson(extra), canonicalJson(content), 'only content fields count');
  assert.deepEqual(Object.keys(JSON.parse(canonicalJson(content))), [...CONTENT_FIELDS]);
  assert.equal(
    canonicalJson(content),
    '{"id":"id-1","sourceEventId":"00000000-0000-4000-8000-000000000001","occurredAt":"2025-01-01T12:00:01.000Z",' +
      '"recordedAt":"2025-01-01T12:01:01.000Z","service":"patients","action":"patient:read","entity":"Patient",' +
      '"entityId":"p-1","patientId":"p-1","outcome":"ALLOWED","reason":null,"userId":"u-doctor","role":"DOCTOR",' +
      '"cabinetId":"c-1","requestId":"r-1","clientAddress":"203.0.113.7"}',
  );
  const missing = { ...content, reason: undefined } as unknown as AuditContent;
  assert.equal(canonicalJson(missing), canonicalJson(content), 'undefined is null');
});

test('a hash is sha256 hex of the previous hash followed by the canonical content', () => {
  const content = contentOf(entry(1), 'id-1', new Date('2025-01-01T12:01:01.000Z'));
  const expected = createHash('sha256')
    .update(GENESIS_HASH + canonicalJson(content))
    .digest('hex');
  assert.equal(hashRecord(GENESIS_HASH, content), expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
  assert.notEqual(hashRecord('f'.repeat(64), content), expected, 'the previous hash is part of it');
  assert.notEqual(hashRecord(GENESIS_HASH, { ...content, action: 'patient:write' }), expected);
  assert.deepEqual(link(GENESIS, content), { prevHash: GENESIS_HASH, hash: expected });
});

test('every content field is covered by the hash', () => {
  const content = contentOf(entry(1), 'id-1', new Date('2025-01-01T12:01:01.000Z'));
  const original = hashRecord(GENESIS_HASH, content);
  for (const field of CONTENT_FIELDS) {
    const altered = { ...content, [field]: field === 'outcome' ? 'DENIED' : `${content[field] ?? ''}x` };
    assert.notEqual(hashRecord(GENESIS_HASH, altered), original, field);
  }
  assert.notEqual(hashRecord(GENESIS_HASH, { ...content, reason: '' }), original, 'null and empty differ');
});

test('contentOf keeps the entry and writes timestamps as UTC ISO with milliseconds', () => {
  const content = contentOf(entry(3), 'the-id', new Date('2025-06-01T10:00:00+02:00'));
  assert.equal(content.id, 'the-id');
  assert.equal(content.recordedAt, '2025-06-01T08:00:00.000Z');
  assert.equal(content.occurredAt, '2025-01-01T12:00:03.000Z');
  assert.equal(content.sourceEventId, entry(3).sourceEventId);
});

test('an intact chain verifies, with its record count', () => {
  const records = chain(5);
  assert.deepEqual(verifyRecords(GENESIS, records), { ok: true, count: 5 });
  assert.deepEqual(verifyRecords(GENESIS, records, headOf(records)), { ok: true, count: 5 });
  assert.deepEqual(verifyRecords(GENESIS, [], GENESIS), { ok: true, count: 0 }, 'an empty chain');
});

test('an altered record is named, not the ones after it', () => {
  const records = chain(5);
  const altered = records.map((record, i) => (i === 2 ? { ...record, action: 'medicalRecord:write' } : record));
  assert.deepEqual(verifyRecords(GENESIS, altered, headOf(records)), {
    ok: false,
    brokenAt: '3',
    id: at(records, 2).id,
    reason: 'content does not match its hash: the record was altered',
  });
});

test('an altered record whose hash was recomputed breaks the link of the next one', () => {
  const records = chain(5);
  const target = { ...at(records, 1), outcome: 'DENIED' as const };
  target.hash = hashRecord(target.prevHash, target);
  const result = verifyRecords(GENESIS, records.with(1, target), headOf(records));
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.brokenAt, '3');
  assert.match(!result.ok ? result.reason : '', /prev_hash does not match the hash of seq 2/);
});

test('a removed record breaks the link of the one after it', () => {
  const records = chain(5);
  const result = verifyRecords(GENESIS, records.toSpliced(2, 1), headOf(records));
  assert.deepEqual(result, {
    ok: false,
    brokenAt: '4',
    id: at(records, 3).id,
    reason: 'prev_hash does not match the hash of seq 2: a record between them is missing, or the link was altered',
  });
});

test('a removed first record is caught: the new first one does not link to the genesis', () => {
  const records = chain(3);
  const result = verifyRecords(GENESIS, records.slice(1), headOf(records));
  assert.equal(!result.ok && result.brokenAt, '2');
  assert.match(!result.ok ? result.reason : '', /genesis/);
});

test('removed last records are caught by the chain head', () => {
  const records = chain(4);
  assert.deepEqual(verifyRecords(GENESIS, records.slice(0, 2), headOf(records)), {
    ok: false,
    brokenAt: '4',
    id: null,
    reason: 'records after seq 2 up to the chain head (seq 4) are missing',
  });
  assert.deepEqual(
    verifyRecords(GENESIS, records.slice(0, 2)),
    { ok: true, count: 2 },
    'without a head it cannot tell',
  );
});

test('a record added after the head, even correctly linked, is caught', () => {
  const records = chain(4);
  const head = headOf(records.slice(0, 3));
  const result = verifyRecords(GENESIS, records, head);
  assert.equal(!result.ok && result.brokenAt, '4');
  assert.match(!result.ok ? result.reason : '', /beyond the chain head/);
});

test('a head whose hash differs from the last record is a break', () => {
  const records = chain(2);
  const result = verifyRecords(GENESIS, records, { seq: '2', hash: 'a'.repeat(64) });
  assert.deepEqual(result, {
    ok: false,
    brokenAt: '2',
    id: null,
    reason: "the chain head's hash does not match the hash of seq 2",
  });
});

test('records out of seq order are a break', () => {
  const records = chain(3);
  const swapped = [at(records, 0), at(records, 2), at(records, 1)];
  const result = verifyRecords(GENESIS, swapped);
  assert.equal(!result.ok && result.brokenAt, '3', 'seq 3 does not link to seq 1');
  const repeated = verifyRecords(GENESIS, [at(records, 0), at(records, 0)]);
  assert.match(!repeated.ok ? repeated.reason : '', /out of order/);
});

test('a chain verifies from a checkpoint once its beginning was purged', () => {
  const records = chain(6);
  const checkpoint = { seq: at(records, 2).seq, hash: at(records, 2).hash };
  assert.deepEqual(verifyRecords(checkpoint, records.slice(3), headOf(records)), { ok: true, count: 3 });
  const wrong = verifyRecords({ ...checkpoint, hash: GENESIS_HASH }, records.slice(3), headOf(records));
  assert.equal(!wrong.ok && wrong.brokenAt, '4', 'a checkpoint that does not match the first remaining record');
  assert.deepEqual(
    verifyRecords({ seq: '6', hash: at(records, 5).hash }, [], headOf(records)),
    { ok: true, count: 0 },
    'everything purged',
  );
  const continued = chain(2, headOf(records));
  assert.deepEqual(
    continued.map((r) => r.seq),
    ['7', '8'],
  );
  assert.deepEqual(verifyRecords(checkpoint, [...records.slice(3), ...continued], headOf(continued)), {
    ok: true,
    count: 5,
  });
});

test('the streaming verifier stops at the first break and keeps reporting it', () => {
  const records = chain(4);
  const verifier = new ChainVerifier(GENESIS, headOf(records));
  assert.equal(verifier.check(at(records, 0)), null);
  const first = verifier.check({ ...at(records, 1), role: 'ADMIN' });
  assert.equal(first?.ok, false);
  assert.equal(verifier.check(at(records, 2)), first, 'later records cannot repair it');
  assert.equal(verifier.finish(), first);
});

test('large seq values are compared as integers, not as text', () => {
  const start = { seq: '9', hash: 'b'.repeat(64) };
  const records = chain(2, start);
  assert.deepEqual(
    records.map((r) => r.seq),
    ['10', '11'],
  );
  assert.deepEqual(verifyRecords(start, records, headOf(records)), { ok: true, count: 2 });
  const big = { seq: '9007199254740993', hash: 'c'.repeat(64) };
  assert.deepEqual(
    chain(1, big).map((r) => r.seq),
    ['9007199254740994'],
  );
  assert.deepEqual(verifyRecords(big, chain(1, big)), { ok: true, count: 1 });
});
