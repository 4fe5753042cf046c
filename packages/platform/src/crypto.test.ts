import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FieldCipher } from './crypto.ts';

const cipher = new FieldCipher('k'.repeat(32));

test('a value round-trips, and the stored form does not contain it', () => {
  const stored = cipher.encrypt('1 85 05 78 006 084 91');
  assert.doesNotMatch(stored, /85 05 78/);
  assert.equal(cipher.decrypt(stored), '1 85 05 78 006 084 91');
});

test('the same value encrypts differently each time (fresh IV)', () => {
  assert.notEqual(cipher.encrypt('same'), cipher.encrypt('same'));
});

test('another key cannot decrypt, and an altered value is detected', () => {
  const stored = cipher.encrypt('secret');
  assert.throws(() => new FieldCipher('x'.repeat(32)).decrypt(stored));
  const parts = stored.split('.');
  const altered = [...parts.slice(0, 3), Buffer.from('tampered').toString('base64url')].join('.');
  assert.throws(() => cipher.decrypt(altered));
  assert.throws(() => cipher.decrypt('plain text'));
});

test('blind indexes are deterministic per key and differ across keys and values', () => {
  assert.equal(cipher.blindIndex('185057800608491'), cipher.blindIndex('185057800608491'));
  assert.notEqual(cipher.blindIndex('185057800608491'), cipher.blindIndex('185057800608492'));
  assert.notEqual(new FieldCipher('x'.repeat(32)).blindIndex('185057800608491'), cipher.blindIndex('185057800608491'));
});

test('a short key is refused', () => {
  assert.throws(() => new FieldCipher('short'), /at least 32/);
});
