import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { assertCan, assertSameCabinet, can, GRANTS, PERMISSIONS, type Permission, requireCabinet } from './access.ts';
import { DomainError } from './errors.ts';
import { type Caller, type Identity, ROLES, type Role } from './identity.ts';

const cabinetId = randomUUID();
const identityOf = (role: Role): Identity => ({ userId: randomUUID(), role, cabinetId });
const callerOf = (identity: Identity | null): Caller => ({ requestId: randomUUID(), clientAddress: null, identity });

const hasCode = (code: string) => (error: unknown) => error instanceof DomainError && error.code === code;

/** The access policy, written out by hand: a change to GRANTS must be a change to this table. */
const EXPECTED: Record<Role, Record<Permission, boolean>> = {
  ADMIN: {
    'staff:create': true,
    'staff:read': true,
    'staff:manage': true,
    'patient:register': false,
    'patient:read': false,
    'patient:readNationalId': false,
    'medicalRecord:read': false,
    'medicalRecord:write': false,
    'notification:read': false,
    'audit:search': true,
    'audit:readOwn': false,
    'keys:rotate': true,
    'practice:manage': true,
    'appointment:read': false,
    'appointment:write': false,
    'appointment:overbook': false,
    'appointment:selfBook': false,
    'appointment:readOwn': false,
    'patient:update': false,
    'patient:readOwn': false,
    'consultation:read': false,
    'consultation:write': false,
    'prescription:write': false,
    'prescription:readOwn': false,
    'medication:read': false,
    'medication:manage': true,
  },
  DOCTOR: {
    'staff:create': false,
    'staff:read': true,
    'staff:manage': false,
    'patient:register': true,
    'patient:read': true,
    'patient:readNationalId': true,
    'medicalRecord:read': true,
    'medicalRecord:write': true,
    'notification:read': true,
    'audit:search': false,
    'audit:readOwn': false,
    'keys:rotate': false,
    'practice:manage': false,
    'appointment:read': true,
    'appointment:write': true,
    'appointment:overbook': true,
    'appointment:selfBook': false,
    'appointment:readOwn': false,
    'patient:update': true,
    'patient:readOwn': false,
    'consultation:read': true,
    'consultation:write': true,
    'prescription:write': true,
    'prescription:readOwn': false,
    'medication:read': true,
    'medication:manage': false,
  },
  SECRETARY: {
    'staff:create': false,
    'staff:read': true,
    'staff:manage': false,
    'patient:register': true,
    'patient:read': true,
    'patient:readNationalId': true,
    'medicalRecord:read': false,
    'medicalRecord:write': false,
    'notification:read': true,
    'audit:search': false,
    'audit:readOwn': false,
    'keys:rotate': false,
    'practice:manage': false,
    'appointment:read': true,
    'appointment:write': true,
    'appointment:overbook': false,
    'appointment:selfBook': false,
    'appointment:readOwn': false,
    'patient:update': true,
    'patient:readOwn': false,
    'consultation:read': true,
    'consultation:write': false,
    'prescription:write': false,
    'prescription:readOwn': false,
    'medication:read': false,
    'medication:manage': false,
  },
  PATIENT: {
    'staff:create': false,
    'staff:read': false,
    'staff:manage': false,
    'patient:register': false,
    'patient:read': false,
    'patient:readNationalId': false,
    'medicalRecord:read': false,
    'medicalRecord:write': false,
    'notification:read': true,
    'audit:search': false,
    'audit:readOwn': true,
    'keys:rotate': false,
    'practice:manage': false,
    'appointment:read': false,
    'appointment:write': false,
    'appointment:overbook': false,
    'appointment:selfBook': true,
    'appointment:readOwn': true,
    'patient:update': false,
    'patient:readOwn': true,
    'consultation:read': false,
    'consultation:write': false,
    'prescription:write': false,
    'prescription:readOwn': true,
    'medication:read': false,
    'medication:manage': false,
  },
};

test('the expected table covers every role and every permission', () => {
  assert.deepEqual(Object.keys(EXPECTED).sort(), [...ROLES].sort());
  for (const role of ROLES) assert.deepEqual(Object.keys(EXPECTED[role]).sort(), [...PERMISSIONS].sort());
});

test('GRANTS lists exactly the permissions the table allows', () => {
  for (const role of ROLES) {
    const allowed = PERMISSIONS.filter((permission) => EXPECTED[role][permission]);
    assert.deepEqual([...GRANTS[role]].sort(), allowed.sort(), role);
  }
});

test('without an identity, every permission is refused as UNAUTHENTICATED', () => {
  for (const permission of PERMISSIONS) {
    assert.throws(() => assertCan(callerOf(null), permission), hasCode('UNAUTHENTICATED'), permission);
  }
});

for (const role of ROLES) {
  for (const permission of PERMISSIONS) {
    const allowed = EXPECTED[role][permission];
    test(`${role} ${allowed ? 'may' : 'may not'} ${permission}`, () => {
      const identity = identityOf(role);
      assert.equal(can(identity, permission), allowed);
      if (allowed) {
        assert.equal(assertCan(callerOf(identity), permission), identity);
      } else {
        assert.throws(
          () => assertCan(callerOf(identity), permission),
          (error: unknown) => hasCode('FORBIDDEN')(error) && (error as Error).message.includes(permission),
        );
      }
    });
  }
}

test('a record of the same practice is returned as is', () => {
  const identity = identityOf('DOCTOR');
  const record = { id: 'p1', cabinetId };
  assert.equal(assertSameCabinet(identity, 'Patient', 'p1', record), record);
});

test("another practice's record is reported as not found, revealing nothing", () => {
  const identity = identityOf('ADMIN');
  const record = { id: 'p1', cabinetId: randomUUID(), secret: 'diagnosis' };
  assert.throws(
    () => assertSameCabinet(identity, 'Patient', 'p1', record),
    (error: unknown) =>
      hasCode('NOT_FOUND')(error) &&
      (error as DomainError).message === 'Patient p1 not found' &&
      !JSON.stringify((error as DomainError).details).includes(record.cabinetId),
  );
});

test('a missing record is reported as not found', () => {
  const identity = identityOf('ADMIN');
  assert.throws(() => assertSameCabinet(identity, 'Patient', 'p1', null), hasCode('NOT_FOUND'));
  assert.throws(() => assertSameCabinet(identity, 'Patient', 'p1', undefined), hasCode('NOT_FOUND'));
});

test('a caller outside any practice sees no practice record', () => {
  const identity: Identity = { ...identityOf('ADMIN'), cabinetId: null };
  assert.throws(() => assertSameCabinet(identity, 'Patient', 'p1', { cabinetId }), hasCode('NOT_FOUND'));
  assert.throws(() => requireCabinet(identity), hasCode('FORBIDDEN'));
  assert.equal(requireCabinet(identityOf('DOCTOR')), cabinetId);
});
