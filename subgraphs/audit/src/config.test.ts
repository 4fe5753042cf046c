import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@cabinet/platform/config';
import { loadAuditConfig } from './config.ts';

const required = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/cabinet_audit',
  ROUTER_SECRET: 'a'.repeat(32),
};

test('defaults: port 4004, group audit, ten years of retention, a daily purge', () => {
  const config = loadAuditConfig(required);
  assert.equal(config.PORT, 4004);
  assert.equal(config.KAFKA_GROUP_ID, 'audit');
  assert.equal(config.AUDIT_RETENTION_DAYS, 3650);
  assert.equal(config.AUDIT_PURGE_INTERVAL_MINUTES, 1440);
});

test('the retention and purge interval are settings', () => {
  const config = loadAuditConfig({ ...required, AUDIT_RETENTION_DAYS: '365', AUDIT_PURGE_INTERVAL_MINUTES: '0' });
  assert.equal(config.AUDIT_RETENTION_DAYS, 365);
  assert.equal(config.AUDIT_PURGE_INTERVAL_MINUTES, 0);
});

test('a retention that is not a positive number of days is refused, naming the variable', () => {
  for (const value of ['0', '-5', 'ten years', '1.5']) {
    assert.throws(
      () => loadAuditConfig({ ...required, AUDIT_RETENTION_DAYS: value }),
      (error: unknown) => error instanceof ConfigError && /AUDIT_RETENTION_DAYS/.test(error.message),
      value,
    );
  }
});
