import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export const MIN_KEY_ENCRYPTION_KEY_LENGTH = 32;

const derive = (secret: string, label: string): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, 'cabinet:users', label, 32));

/**
 * Seals the private signing keys at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the
 * configured key-encryption key, with the key id as additional data so a sealed key cannot be
 * moved to another row. The ring id, derived from the same secret under another label, names the
 * keys this secret can open; it reveals nothing about the secret.
 */
export class KeyEncryption {
  readonly ringId: string;
  readonly #key: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_KEY_ENCRYPTION_KEY_LENGTH) {
      throw new Error(`the key-encryption key must be at least ${MIN_KEY_ENCRYPTION_KEY_LENGTH} characters`);
    }
    this.#key = derive(secret, 'signing-key-encryption/v1');
    this.ringId = derive(secret, 'signing-key-ring-id/v1').subarray(0, 16).toString('base64url');
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts, a fresh IV every time. */
  seal(plaintext: Buffer, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  /** Throws unless `sealed` was sealed by this key for the same associated data, unaltered. */
  open(sealed: string, associatedData: string): Buffer {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed key');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  }
}

/** A throwaway key-encryption key, for development when none is configured. */
export const generateKeyEncryptionKey = (): string => randomBytes(32).toString('base64url');
