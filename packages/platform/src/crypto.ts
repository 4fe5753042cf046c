import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Encryption of sensitive fields at rest (national identifiers): AES-256-GCM with a key from the
 * environment, and a keyed blind index (HMAC-SHA256) so equality and uniqueness can be enforced
 * by the database without it ever holding the clear value. Both keys are derived from the one
 * configured secret, with distinct labels.
 */
export class FieldCipher {
  readonly #encryptionKey: Buffer;
  readonly #indexKey: Buffer;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('the data encryption key must be at least 32 characters');
    this.#encryptionKey = createHash('sha256').update(`cabinet:field-encryption:${secret}`).digest();
    this.#indexKey = createHash('sha256').update(`cabinet:blind-index:${secret}`).digest();
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts; a fresh IV every time. */
  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Throws when the value was not produced with this key or was altered. */
  decrypt(stored: string): string {
    const [version, iv, tag, ciphertext] = stored.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not an encrypted field value');
    const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Deterministic, keyed: equal values give equal indexes; the index reveals nothing without the key. */
  blindIndex(value: string): string {
    return createHmac('sha256', this.#indexKey).update(value).digest('base64url');
  }
}
