import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@cabinet/platform/errors';
import {
  APPOINTMENT_STATUSES,
  type AppointmentStatus,
  assertReschedulable,
  canTransition,
  fulfilledBySignedConsultation,
  transition,
} from './status.ts';

const LEGAL: ReadonlySet<string> = new Set([
  'PENDING>BOOKED',
  'PENDING>CANCELLED',
  'BOOKED>ARRIVED',
  'BOOKED>CANCELLED',
  'BOOKED>NO_SHOW',
  'ARRIVED>IN_CONSULTATION',
  'ARRIVED>CANCELLED',
  'IN_CONSULTATION>FULFILLED',
]);

// Every pair of statuses, 49 in all: the 8 legal ones pass, the 41 others are a readable CONFLICT.
for (const from of APPOINTMENT_STATUSES) {
  for (const to of APPOINTMENT_STATUSES) {
    const legal = LEGAL.has(`${from}>${to}`);
    test(`${from} → ${to} is ${legal ? 'legal' : 'refused'}`, () => {
      assert.equal(canTransition(from, to), legal);
      if (legal) assert.equal(transition(from, to), to);
      else {
        assert.throws(
          () => transition(from, to),
          (error: unknown) =>
            error instanceof DomainError && error.code === 'CONFLICT' && /^(This|An) appointment/.test(error.message),
        );
      }
    });
  }
}

test('the refusals read well', () => {
  assert.throws(() => transition('CANCELLED', 'CANCELLED'), { message: 'This appointment is already cancelled' });
  assert.throws(() => transition('FULFILLED', 'CANCELLED'), {
    message: 'An appointment that is fulfilled cannot be cancelled',
  });
  assert.throws(() => transition('CANCELLED', 'BOOKED'), {
    message: 'An appointment that is cancelled cannot be confirmed',
  });
});

test('final statuses have no way out', () => {
  for (const final of ['FULFILLED', 'CANCELLED', 'NO_SHOW'] as AppointmentStatus[]) {
    assert.ok(APPOINTMENT_STATUSES.every((to) => !canTransition(final, to)));
  }
});

test('only pending and booked appointments can be rescheduled', () => {
  for (const status of APPOINTMENT_STATUSES) {
    if (status === 'PENDING' || status === 'BOOKED') assert.doesNotThrow(() => assertReschedulable(status));
    else assert.throws(() => assertReschedulable(status), { name: 'DomainError' });
  }
});

test('a signed consultation fulfils a booked, arrived or ongoing appointment, and nothing else', () => {
  assert.deepEqual(
    APPOINTMENT_STATUSES.map((status) => [status, fulfilledBySignedConsultation(status)]),
    [
      ['PENDING', null],
      ['BOOKED', 'FULFILLED'],
      ['ARRIVED', 'FULFILLED'],
      ['IN_CONSULTATION', 'FULFILLED'],
      ['FULFILLED', null],
      ['CANCELLED', null],
      ['NO_SHOW', null],
    ],
  );
});
