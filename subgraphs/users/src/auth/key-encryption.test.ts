import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { generateKeyEncryptionKey, KeyEncryption } from './key-encryption.ts';

const secret = 'a key-encryption key of at least 32 characters';

test('a sealed key opens with the same secret and key id, and shows nothing of the plaintext', () => {
  const encryption = new KeyEncryption(secret);
  // A real PEM private key, made for this run: the repository holds no key material.
  const plaintext = Buffer.from(
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const sealed = encryption.seal(plaintext, 'kid-1');
  assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal(sealed.includes('PRIVATE'), false);
  assert.notEqual(encryption.seal(plaintext, 'kid-1'), sealed, 'a fresh IV each time');
  assert.deepEqual(new KeyEncryption(secret).open(sealed, 'kid-1'), plaintext);
});

test('another secret, another key id or an altered value does not open', () => {
  const sealed = new KeyEncryption(secret).seal(Buffer.from('material'), 'kid-1');
  assert.throws(() => new KeyEncryption(`${secret}!`).open(sealed, 'kid-1'));
  assert.throws(() => new KeyEncryption(secret).open(sealed, 'kid-2'));
  const [v, iv, tag, body] = sealed.split('.') as [string, string, string, string];
  const flipped = Buffer.from(body, 'base64url');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(() => new KeyEncryption(secret).open([v, iv, tag, flipped.toString('base64url')].join('.'), 'kid-1'));
  assert.throws(() => new KeyEncryption(secret).open('plain text', 'kid-1'));
});

test('the ring id is stable per secret, differs between secrets, and is not the secret', () => {
  assert.equal(new KeyEncryption(secret).ringId, new KeyEncryption(secret).ringId);
  assert.notEqual(new KeyEncryption(secret).ringId, new KeyEncryption(generateKeyEncryptionKey()).ringId);
  assert.equal(secret.includes(new KeyEncryption(secret).ringId), false);
});

test('a short secret is refused', () => {
  assert.throws(() => new KeyEncryption('too short'), /at least 32/);
});
