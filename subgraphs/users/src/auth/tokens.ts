import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { scopesOf } from '@cabinet/platform/access';
import type { Identity } from '@cabinet/platform/identity';
import { SignJWT } from 'jose';
import type { ActiveKey } from './key-ring.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/**
 * A short-lived access token, RS256 with the key id in its header. Claims: `sub`, `role`,
 * `cabinet` (null for a platform account), `scope` (the role's permissions, space-separated,
 * which the router checks `@requiresScopes` against), `patient` (PATIENT accounts only), `sid`
 * (the session: the refresh-token family) and `jti`.
 *
 * Access tokens are stateless: once issued, one stays valid until it expires (at most
 * `ttlSeconds`), even after logout or a password change; only the session's refresh tokens die.
 */
export function issueAccessToken(
  key: ActiveKey,
  settings: TokenSettings,
  identity: Identity,
  sessionId: string,
): Promise<string> {
  const claims: Record<string, unknown> = {
    role: identity.role,
    cabinet: identity.cabinetId,
    scope: scopesOf(identity.role),
    sid: sessionId,
  };
  if (identity.role === 'PATIENT' && identity.patientId) claims.patient = identity.patientId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
    .setSubject(identity.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${settings.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/** An opaque refresh token: 32 random bytes, base64url. Only its hash is ever stored. */
export const generateRefreshToken = (): string => randomBytes(32).toString('base64url');

/** SHA-256, hex: what the database holds and looks tokens up by. */
export const hashRefreshToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
