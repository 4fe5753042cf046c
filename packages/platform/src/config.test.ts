import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig, serviceConfigSchema } from './config.ts';

test('a valid configuration is parsed with its defaults', () => {
  const config = parseConfig('svc', serviceConfigSchema, {
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/db',
    ROUTER_SECRET: 's'.repeat(32),
  });
  assert.deepEqual(config.KAFKA_BROKERS, ['127.0.0.1:9092']);
  assert.equal(config.NODE_ENV, 'development');
});

test('every problem is reported at once, each naming its variable', () => {
  assert.throws(
    () =>
      parseConfig('svc', serviceConfigSchema, {
        DATABASE_URL: 'mysql://nope',
        ROUTER_SECRET: 'short',
        NODE_ENV: 'staging',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^svc: invalid configuration/);
      for (const name of ['DATABASE_URL', 'ROUTER_SECRET', 'NODE_ENV']) {
        assert.ok(
          error.issues.some((issue) => issue.startsWith(`${name}:`)),
          `${name} is named`,
        );
      }
      assert.doesNotMatch(error.message, /short/, 'the secret value itself is not echoed');
      return true;
    },
  );
});
