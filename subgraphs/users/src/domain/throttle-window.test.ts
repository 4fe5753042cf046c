import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  inWindow,
  retryAt,
  type ThrottleSettings,
  throttlesAddress,
  throttleVerdict,
  windowStart,
} from './throttle-window.ts';

const settings: ThrottleSettings = {
  windowSeconds: 900,
  maxFailuresPerEmail: 5,
  maxFailuresPerAddress: 20,
  exemptAddresses: ['127.0.0.1'],
};
const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);
const times = (count: number, spacingSeconds = 10, startAgo = 0): Date[] =>
  Array.from({ length: count }, (_, i) => ago(startAgo + i * spacingSeconds));

test('the window ends now and excludes its first instant', () => {
  assert.deepEqual(windowStart(NOW, 900), ago(900));
  assert.equal(inWindow(ago(899.999), NOW, 900), true);
  assert.equal(inWindow(ago(900), NOW, 900), false);
  assert.equal(inWindow(NOW, NOW, 900), true);
  assert.equal(inWindow(new Date(NOW.getTime() + 5), NOW, 900), true, 'a concurrent attempt stamped just after counts');
});

test('below the maximum, nothing is throttled', () => {
  assert.deepEqual(throttleVerdict(times(4), times(19), NOW, settings), { throttled: false });
});

test('the maximum of failures for an email refuses the next attempt until the window has passed', () => {
  // Failures 0, 10, ..., 40 seconds ago: the 5th most recent (40 s ago) leaves the window in 860 s.
  const verdict = throttleVerdict(times(5), [], NOW, settings);
  assert.deepEqual(verdict, { throttled: true, by: 'email', retryAt: new Date(NOW.getTime() + 860_000) });
});

test('only the failures within the window count', () => {
  assert.deepEqual(throttleVerdict(times(5, 10, 870), [], NOW, settings), { throttled: false });
  const straddling = [...times(4, 10, 0), ago(899)];
  assert.equal(throttleVerdict(straddling, [], NOW, settings).throttled, true);
  assert.equal(throttleVerdict(straddling, [], new Date(NOW.getTime() + 1000), settings).throttled, false);
});

test('the retry time is when the limiting failure leaves the window, whatever the order given', () => {
  const failures = [ago(100), ago(5), ago(300), ago(50), ago(200), ago(1000)];
  assert.deepEqual(retryAt(failures, 5, NOW, 900), new Date(ago(300).getTime() + 900_000));
  assert.equal(retryAt(failures.slice(0, 4), 5, NOW, 900), null);
});

test('the address limit applies on its own, after the email limit', () => {
  const verdict = throttleVerdict(times(1), times(20, 1), NOW, settings);
  assert.equal(verdict.throttled && verdict.by, 'address');
  assert.equal(throttleVerdict(times(5), times(20, 1), NOW, settings).throttled && 'email', 'email');
  assert.deepEqual(throttleVerdict(times(1), null, NOW, settings), { throttled: false });
});

test('an exempt or unknown address, or a zero limit, is not throttled per address', () => {
  assert.equal(throttlesAddress('203.0.113.7', settings), true);
  assert.equal(throttlesAddress('127.0.0.1', settings), false);
  assert.equal(throttlesAddress(null, settings), false);
  assert.equal(throttlesAddress('203.0.113.7', { ...settings, maxFailuresPerAddress: 0 }), false);
  assert.deepEqual(throttleVerdict([], times(50), NOW, { ...settings, maxFailuresPerAddress: 0 }), {
    throttled: false,
  });
});
