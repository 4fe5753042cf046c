import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@cabinet/platform/config';
import { loadUsersConfig } from './config.ts';

const base = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/cabinet_users',
  ROUTER_SECRET: 'r'.repeat(43),
};
const refused = (variable: string) => (error: unknown) =>
  error instanceof ConfigError && error.issues.some((issue) => issue.startsWith(`${variable}:`));

test('the token lifecycle defaults', () => {
  const config = loadUsersConfig(base);
  assert.equal(config.ACCESS_TOKEN_TTL_SECONDS, 300);
  assert.equal(config.REFRESH_TOKEN_TTL_SECONDS, 30 * 86400);
  assert.equal(config.REFRESH_TOKEN_IDLE_SECONDS, 7 * 86400);
  assert.equal(config.KEY_PUBLICATION_DELAY_SECONDS, 10);
  assert.equal(config.KEY_ROTATION_DAYS, 30);
  assert.equal(config.JWKS_MAX_AGE_SECONDS, 4);
  assert.deepEqual(
    [config.LOGIN_THROTTLE_WINDOW_SECONDS, config.LOGIN_MAX_FAILURES_PER_EMAIL, config.LOGIN_MAX_FAILURES_PER_ADDRESS],
    [900, 5, 20],
  );
  assert.deepEqual(config.LOGIN_THROTTLE_EXEMPT_ADDRESSES, ['127.0.0.1', '::1', '::ffff:127.0.0.1']);
  assert.equal(config.JWT_KEY_ENCRYPTION_KEY, undefined, 'development makes a throwaway one at start-up');
});

test('production requires the key-encryption key; it must be long enough', () => {
  assert.throws(() => loadUsersConfig({ ...base, NODE_ENV: 'production' }), refused('JWT_KEY_ENCRYPTION_KEY'));
  assert.throws(() => loadUsersConfig({ ...base, JWT_KEY_ENCRYPTION_KEY: 'short' }), refused('JWT_KEY_ENCRYPTION_KEY'));
  const config = loadUsersConfig({ ...base, NODE_ENV: 'production', JWT_KEY_ENCRYPTION_KEY: 'k'.repeat(32) });
  assert.equal(config.JWT_PRIVATE_KEY, undefined, 'no configured key needed: the ring makes its own');
});

test('a new key must be published longer than verifiers take to see it', () => {
  assert.throws(
    () => loadUsersConfig({ ...base, KEY_PUBLICATION_DELAY_SECONDS: '5' }),
    refused('KEY_PUBLICATION_DELAY_SECONDS'),
  );
  assert.throws(
    () => loadUsersConfig({ ...base, KEY_PUBLICATION_DELAY_SECONDS: '6', JWKS_MAX_AGE_SECONDS: '4' }),
    refused('KEY_PUBLICATION_DELAY_SECONDS'),
  );
  assert.equal(
    loadUsersConfig({ ...base, KEY_PUBLICATION_DELAY_SECONDS: '6', JWKS_MAX_AGE_SECONDS: '0' })
      .KEY_PUBLICATION_DELAY_SECONDS,
    6,
  );
});

test('sessions: the idle limit cannot exceed the absolute one; rotation can be turned off', () => {
  assert.throws(
    () => loadUsersConfig({ ...base, REFRESH_TOKEN_TTL_SECONDS: '3600', REFRESH_TOKEN_IDLE_SECONDS: '7200' }),
    refused('REFRESH_TOKEN_IDLE_SECONDS'),
  );
  assert.equal(loadUsersConfig({ ...base, KEY_ROTATION_DAYS: '0' }).KEY_ROTATION_DAYS, 0);
  assert.throws(
    () => loadUsersConfig({ ...base, LOGIN_MAX_FAILURES_PER_EMAIL: '0' }),
    refused('LOGIN_MAX_FAILURES_PER_EMAIL'),
  );
});

test('the admin needs a password; ADMIN_CABINET_ID is still accepted (and ignored)', () => {
  assert.throws(() => loadUsersConfig({ ...base, ADMIN_EMAIL: 'admin@example.org' }), refused('ADMIN_PASSWORD'));
  const config = loadUsersConfig({
    ...base,
    ADMIN_EMAIL: 'admin@example.org',
    ADMIN_PASSWORD: 'p'.repeat(12),
    ADMIN_CABINET_ID: '4f9c2b1e-8a3d-4c6e-9b7a-1d2e3f4a5b6c',
  });
  assert.equal(config.ADMIN_EMAIL, 'admin@example.org');
});
