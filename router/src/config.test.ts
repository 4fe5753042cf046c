import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@cabinet/platform/config';
import { loadRouterConfig } from './config.ts';

const REQUIRED = {
  ROUTER_SECRET: 'x'.repeat(32),
  JWKS_URL: 'http://127.0.0.1:4001/.well-known/jwks.json',
  JWT_ISSUER: 'issuer',
  JWT_AUDIENCE: 'audience',
};

test('authorization, limits and decision log have safe defaults', () => {
  const config = loadRouterConfig(REQUIRED);
  assert.equal(config.AUTH_MODE, 'required');
  assert.equal(config.AUTHZ_DEFAULT, 'deny');
  assert.equal(config.AUTHZ_SCOPE_CLAIM, 'scope');
  assert.deepEqual(
    [config.MAX_DEPTH, config.MAX_ALIASES, config.MAX_ROOT_FIELDS, config.MAX_FIELDS, config.MAX_TOKENS],
    [15, 30, 20, 500, 5000],
  );
  assert.equal(config.DECISION_LOG_KAFKA_BROKERS, undefined, 'no decision log unless configured');
  assert.equal(config.DECISION_LOG_TOPIC_PREFIX, '');
  assert.equal('AUTH_PUBLIC_FIELDS' in config, false, 'public fields come from the schema now');
});

test('settings are read from the environment', () => {
  const config = loadRouterConfig({
    ...REQUIRED,
    AUTHZ_DEFAULT: 'allow',
    AUTHZ_SCOPE_CLAIM: 'permissions',
    MAX_DEPTH: '8',
    MAX_TOKENS: '900',
    DECISION_LOG_KAFKA_BROKERS: 'k1:9092, k2:9092',
    DECISION_LOG_TOPIC_PREFIX: 'staging.',
  });
  assert.equal(config.AUTHZ_DEFAULT, 'allow');
  assert.equal(config.AUTHZ_SCOPE_CLAIM, 'permissions');
  assert.equal(config.MAX_DEPTH, 8);
  assert.equal(config.MAX_TOKENS, 900);
  assert.deepEqual(config.DECISION_LOG_KAFKA_BROKERS, ['k1:9092', 'k2:9092']);
  assert.equal(config.DECISION_LOG_TOPIC_PREFIX, 'staging.');
  assert.equal(
    loadRouterConfig({ ...REQUIRED, DECISION_LOG_KAFKA_BROKERS: ' ' }).DECISION_LOG_KAFKA_BROKERS,
    undefined,
  );
});

test('wrong settings stop the router, each named', () => {
  assert.throws(
    () =>
      loadRouterConfig({
        ...REQUIRED,
        AUTHZ_DEFAULT: 'maybe',
        MAX_DEPTH: '0',
        MAX_FIELDS: 'many',
        DECISION_LOG_TOPIC_PREFIX: 'Bad Prefix',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      for (const name of ['AUTHZ_DEFAULT', 'MAX_DEPTH', 'MAX_FIELDS', 'DECISION_LOG_TOPIC_PREFIX']) {
        assert.ok(
          error.issues.some((issue) => issue.startsWith(name)),
          name,
        );
      }
      return true;
    },
  );
});

test('production turns introspection off whatever INTROSPECTION says', () => {
  assert.equal(loadRouterConfig({ ...REQUIRED, NODE_ENV: 'production', INTROSPECTION: 'true' }).INTROSPECTION, false);
  assert.equal(loadRouterConfig({ ...REQUIRED, NODE_ENV: 'development' }).INTROSPECTION, true);
});
