import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ACCESS_AUDITED, type AccessAudited, envelope } from '@cabinet/platform/events';
import type { Caller } from '@cabinet/platform/identity';
import { type Decoded, fromAccessAudited, fromRouterDecision, parseTimestamp, type RouterDecision } from './entry.ts';

const caller: Caller = {
  requestId: 'req-1',
  clientAddress: '198.51.100.4',
  identity: { userId: 'u-1', role: 'DOCTOR', cabinetId: 'c-1' },
};

const accessAudited = (overrides: Partial<AccessAudited> = {}) =>
  envelope<AccessAudited>('patients', ACCESS_AUDITED, 'c-1', caller, {
    service: 'patients',
    action: 'patient:read',
    entity: 'Patient',
    entityId: 'p-1',
    patientId: 'p-1',
    outcome: 'ALLOWED',
    reason: null,
    userId: 'u-1',
    role: 'DOCTOR',
    cabinetId: 'c-1',
    requestId: 'req-1',
    clientAddress: '198.51.100.4',
    ...overrides,
  });

const routerDecision = (overrides: Partial<Record<keyof RouterDecision, unknown>> = {}): Record<string, unknown> => ({
  id: randomUUID(),
  at: '2025-03-04T05:06:07.890Z',
  requestId: 'req-9',
  clientAddress: '192.0.2.1',
  subject: 'u-9',
  claims: { role: 'SECRETARY', cabinet: 'c-9', patient: null },
  decision: 'DENIED',
  reason: 'FORBIDDEN',
  operationName: 'ReadClinicalNotes',
  fields: ['Query.medicalRecord'],
  ...overrides,
});

const problemOf = (decoded: Decoded): string => (decoded.ok ? 'decoded' : decoded.problem);

test('an AccessAudited envelope becomes an entry of the same facts', () => {
  const event = accessAudited();
  assert.deepEqual(fromAccessAudited(JSON.parse(JSON.stringify(event))), {
    ok: true,
    entry: {
      sourceEventId: event.id,
      occurredAt: new Date(event.occurredAt),
      service: 'patients',
      action: 'patient:read',
      entity: 'Patient',
      entityId: 'p-1',
      patientId: 'p-1',
      outcome: 'ALLOWED',
      reason: null,
      userId: 'u-1',
      role: 'DOCTOR',
      cabinetId: 'c-1',
      requestId: 'req-1',
      clientAddress: '198.51.100.4',
    },
  });
});

test('a denial keeps its reason, and absent optional fields are null', () => {
  const event = accessAudited({ outcome: 'DENIED', reason: 'FORBIDDEN' });
  const data: Record<string, unknown> = { ...event.data };
  delete data.entityId;
  delete data.clientAddress;
  const decoded = fromAccessAudited({ ...event, data });
  assert.ok(decoded.ok);
  assert.equal(decoded.entry.outcome, 'DENIED');
  assert.equal(decoded.entry.reason, 'FORBIDDEN');
  assert.equal(decoded.entry.entityId, null);
  assert.equal(decoded.entry.clientAddress, null);
});

test('the envelope id is the source event id, lowercased as PostgreSQL returns a uuid', () => {
  const event = accessAudited();
  const decoded = fromAccessAudited({ ...event, id: event.id.toUpperCase() });
  assert.ok(decoded.ok);
  assert.equal(decoded.entry.sourceEventId, event.id);
});

test('a malformed AccessAudited message is refused with the reason', () => {
  const event = accessAudited();
  const cases: [unknown, RegExp][] = [
    [null, /not a JSON object/],
    ['text', /not a JSON object/],
    [[event], /not a JSON object/],
    [{ ...event, type: 'patients.PatientRegistered.v1' }, /type must be audit\.AccessAudited\.v1/],
    [{ ...event, id: 'not-a-uuid' }, /^id must be a UUID/],
    [{ ...event, occurredAt: 'yesterday' }, /^occurredAt must be an ISO 8601 timestamp/],
    [{ ...event, occurredAt: '2025-01-01T10:00:00' }, /^occurredAt/],
    [{ ...event, data: null }, /data must be an object/],
    [{ ...event, data: { ...event.data, service: '' } }, /data\.service must be a non-empty string/],
    [{ ...event, data: { ...event.data, action: 42 } }, /data\.action/],
    [{ ...event, data: { ...event.data, entity: undefined } }, /data\.entity/],
    [{ ...event, data: { ...event.data, outcome: 'MAYBE' } }, /data\.outcome must be one of ALLOWED, DENIED/],
    [{ ...event, data: { ...event.data, patientId: 7 } }, /data\.patientId must be a string or null/],
    [{ ...event, data: { ...event.data, reason: 'bad\u0000byte' } }, /data\.reason contains characters/],
    [{ ...event, data: { ...event.data, role: 'lone \ud800 surrogate' } }, /data\.role contains characters/],
  ];
  for (const [message, expected] of cases) {
    assert.match(problemOf(fromAccessAudited(message)), expected, JSON.stringify(message)?.slice(0, 80));
  }
});

test('a router decision becomes a DENIED router request on the operation', () => {
  const decision = routerDecision();
  assert.deepEqual(fromRouterDecision(decision), {
    ok: true,
    entry: {
      sourceEventId: decision.id,
      occurredAt: new Date('2025-03-04T05:06:07.890Z'),
      service: 'router',
      action: 'request',
      entity: 'Operation',
      entityId: 'ReadClinicalNotes',
      patientId: null,
      outcome: 'DENIED',
      reason: 'FORBIDDEN',
      userId: 'u-9',
      role: 'SECRETARY',
      cabinetId: 'c-9',
      requestId: 'req-9',
      clientAddress: '192.0.2.1',
    },
  });
});

test('an anonymous refused request has no user, role nor practice', () => {
  const decoded = fromRouterDecision(
    routerDecision({ subject: null, claims: {}, operationName: null, clientAddress: null, reason: 'UNAUTHENTICATED' }),
  );
  assert.ok(decoded.ok);
  assert.deepEqual(
    [
      decoded.entry.userId,
      decoded.entry.role,
      decoded.entry.cabinetId,
      decoded.entry.entityId,
      decoded.entry.clientAddress,
    ],
    [null, null, null, null, null],
  );
  assert.equal(decoded.entry.reason, 'UNAUTHENTICATED');
  const withoutClaims = fromRouterDecision(routerDecision({ claims: undefined }));
  assert.ok(withoutClaims.ok);
  assert.equal(withoutClaims.entry.role, null);
});

test("the router's reason is kept as given, even empty", () => {
  const decoded = fromRouterDecision(routerDecision({ reason: 'Access token expired' }));
  assert.ok(decoded.ok);
  assert.equal(decoded.entry.reason, 'Access token expired');
  const empty = fromRouterDecision(routerDecision({ reason: '' }));
  assert.ok(empty.ok);
  assert.equal(empty.entry.reason, '');
});

test('claims that are not strings are ignored, not trusted', () => {
  const decoded = fromRouterDecision(routerDecision({ claims: { role: ['ADMIN'], cabinet: 12 } }));
  assert.ok(decoded.ok);
  assert.equal(decoded.entry.role, null);
  assert.equal(decoded.entry.cabinetId, null);
});

test('a malformed router decision is refused with the reason', () => {
  const cases: [unknown, RegExp][] = [
    [42, /not a JSON object/],
    [routerDecision({ decision: 'ALLOWED' }), /decision must be DENIED/],
    [routerDecision({ id: undefined }), /^id must be a UUID/],
    [routerDecision({ at: '04/03/2025' }), /^at must be an ISO 8601 timestamp/],
    [routerDecision({ reason: 403 }), /^reason must be a string or null/],
    [routerDecision({ requestId: null }), /^requestId/],
    [routerDecision({ subject: 5 }), /^subject must be a string or null/],
    [routerDecision({ claims: 'role=ADMIN' }), /claims must be an object/],
    [routerDecision({ claims: { role: 'bad\u0000' } }), /claims\.role contains characters/],
    [routerDecision({ operationName: {} }), /^operationName/],
  ];
  for (const [message, expected] of cases) {
    assert.match(problemOf(fromRouterDecision(message)), expected, JSON.stringify(message)?.slice(0, 80));
  }
});

test('timestamps need an offset and are read to the millisecond', () => {
  assert.equal(parseTimestamp('2025-01-02T03:04:05Z')?.toISOString(), '2025-01-02T03:04:05.000Z');
  assert.equal(parseTimestamp('2025-01-02T03:04:05.123456+02:00')?.toISOString(), '2025-01-02T01:04:05.123Z');
  assert.equal(parseTimestamp('2025-01-02T03:04Z')?.toISOString(), '2025-01-02T03:04:00.000Z');
  for (const bad of [
    '2025-01-02',
    '2025-01-02T03:04:05',
    '2025-13-45T03:04:05Z',
    '1969-12-31T23:59:59Z',
    '',
    17,
    null,
  ]) {
    assert.equal(parseTimestamp(bad), null, String(bad));
  }
});
