import { randomUUID } from 'node:crypto';
import type { Identity } from '@cabinet/platform/identity';
import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** A short-lived access token: subject, role and practice, signed RS256 with a key id. */
export function issueAccessToken(keys: SigningKeys, settings: TokenSettings, identity: Identity): Promise<string> {
  return new SignJWT({ role: identity.role, cabinet: identity.cabinetId })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'at+jwt' })
    .setSubject(identity.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${settings.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(keys.privateKey);
}
