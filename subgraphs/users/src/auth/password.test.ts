import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './password.ts';

test('a hash verifies its own password and no other', async () => {
  const hash = await hashPassword('correct horse battery');
  assert.match(hash, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse battery', hash), true);
  assert.equal(await verifyPassword('correct horse batterY', hash), false);
});

test('the same password hashes differently each time (salted)', async () => {
  assert.notEqual(await hashPassword('same password!'), await hashPassword('same password!'));
});

test('a malformed stored hash never verifies', async () => {
  assert.equal(await verifyPassword('anything', 'plain-text'), false);
  assert.equal(await verifyPassword('anything', 'scrypt$1$2'), false);
});
