import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type SignJWT } from 'jose';

type SigningKey = Parameters<SignJWT['sign']>[0];

/** The key that signs access tokens, and the public document (JWKS) that lets others verify them. */
export interface SigningKeys {
  kid: string;
  privateKey: SigningKey;
  jwks: { keys: JWK[] };
}

/**
 * Reads the RS256 private key from configuration (PEM), or generates a throwaway one for
 * development. The key never lives in the repository.
 */
export async function loadSigningKeys(privateKeyPem: string | undefined): Promise<SigningKeys> {
  let privateKey: SigningKey;
  let publicKey: KeyObject | SigningKey;
  if (privateKeyPem) {
    const key = createPrivateKey(privateKeyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('JWT_PRIVATE_KEY must be an RSA private key');
    privateKey = key;
    publicKey = createPublicKey(key);
  } else {
    ({ privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true }));
  }
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, jwks: { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] } };
}
