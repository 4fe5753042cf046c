import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideRefresh,
  type FamilyState,
  familyExpiry,
  REFRESH_TOKEN_SHAPE,
  secondsUntil,
  type TokenState,
  tokenExpiry,
} from './refresh-family.ts';

const settings = { ttlSeconds: 30 * 86400, idleSeconds: 7 * 86400 };
const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

const family = (patch: Partial<FamilyState> = {}): FamilyState => ({
  expiresAt: familyExpiry(T0, settings),
  revokedAt: null,
  ...patch,
});
const token = (patch: Partial<TokenState> = {}): TokenState => ({
  expiresAt: tokenExpiry(T0, familyExpiry(T0, settings), settings),
  usedAt: null,
  ...patch,
});

test('a family lives for its absolute lifetime; each token for the idle period, never beyond its family', () => {
  assert.deepEqual(familyExpiry(T0, settings), at(30 * 86400));
  assert.deepEqual(tokenExpiry(T0, at(30 * 86400), settings), at(7 * 86400));
  assert.deepEqual(tokenExpiry(at(28 * 86400), at(30 * 86400), settings), at(30 * 86400));
});

test('a fresh token of a live family rotates into the next token of the family', () => {
  const decision = decideRefresh(token(), family(), true, at(3600), settings);
  assert.deepEqual(decision, { kind: 'rotate', nextTokenExpiresAt: at(3600 + 7 * 86400) });
});

test('replaying a used token revokes the whole family', () => {
  const decision = decideRefresh(token({ usedAt: at(60) }), family(), true, at(120), settings);
  assert.deepEqual(decision, { kind: 'refuse', reason: 'TOKEN_REUSED', revokeFamily: true });
});

test('reuse is detected even after the family has expired', () => {
  const decision = decideRefresh(token({ usedAt: at(60) }), family(), true, at(31 * 86400), settings);
  assert.equal(decision.kind === 'refuse' && decision.reason, 'TOKEN_REUSED');
});

test('once revoked, every token of the family is refused, and nothing more is revoked', () => {
  const revoked = family({ revokedAt: at(10) });
  for (const presented of [token(), token({ usedAt: at(5) })]) {
    assert.deepEqual(decideRefresh(presented, revoked, true, at(20), settings), {
      kind: 'refuse',
      reason: 'SESSION_REVOKED',
      revokeFamily: false,
    });
  }
});

test('the absolute lifetime ends the family, even for a token refreshed just before', () => {
  const late = token({ expiresAt: at(30 * 86400) });
  assert.equal(decideRefresh(late, family(), true, at(30 * 86400 - 1), settings).kind, 'rotate');
  const decision = decideRefresh(late, family(), true, at(30 * 86400), settings);
  assert.deepEqual(decision, { kind: 'refuse', reason: 'SESSION_EXPIRED', revokeFamily: false });
});

test('a token unused past the idle period is refused', () => {
  assert.equal(decideRefresh(token(), family(), true, at(7 * 86400 - 1), settings).kind, 'rotate');
  const decision = decideRefresh(token(), family(), true, at(7 * 86400), settings);
  assert.deepEqual(decision, { kind: 'refuse', reason: 'SESSION_IDLE', revokeFamily: false });
});

test('an unknown token, or a deactivated account, is refused', () => {
  assert.equal(decideRefresh(null, null, true, T0, settings).kind, 'refuse');
  assert.deepEqual(decideRefresh(token(), family(), false, at(1), settings), {
    kind: 'refuse',
    reason: 'ACCOUNT_INACTIVE',
    revokeFamily: true,
  });
});

test('expiresIn counts whole seconds and never goes negative', () => {
  assert.equal(secondsUntil(at(90.9), T0), 90);
  assert.equal(secondsUntil(T0, at(5)), 0);
});

test('a refresh token has the shape of 32 random bytes in base64url', () => {
  assert.match(Buffer.alloc(32, 255).toString('base64url'), REFRESH_TOKEN_SHAPE);
  assert.doesNotMatch('too-short', REFRESH_TOKEN_SHAPE);
  assert.doesNotMatch(`${'a'.repeat(42)}=`, REFRESH_TOKEN_SHAPE);
});
