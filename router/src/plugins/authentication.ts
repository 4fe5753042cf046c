import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

/** A verified access token, reduced to what the router forwards. */
export interface Principal {
  subject: string;
  claims: Record<string, unknown>;
  /** The token's scopes (from the configured scope claim), used by field authorization; never forwarded as such. */
  scopes: string[];
  /** Expiry, in seconds since the epoch. */
  expiresAt: number;
}

export type Authentication = { ok: true; principal: Principal } | { ok: false; reason: string };

export interface AuthenticatorOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  forwardClaims: string[];
  /** Claim holding the token's scopes: a space-separated string or an array of strings. Default `scope`. */
  scopeClaim?: string;
}

/**
 * Verifies bearer tokens against the issuer's JWKS: RS256 only, issuer, audience and expiry
 * checked. Keys are fetched once and refetched when a token names an unknown key id.
 */
export function createAuthenticator(options: AuthenticatorOptions): (token: string) => Promise<Authentication> {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 5_000, timeoutDuration: 5_000 });
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['sub', 'exp'],
      });
      const claims: Record<string, unknown> = {};
      for (const name of options.forwardClaims) if (name in payload) claims[name] = payload[name];
      return {
        ok: true,
        principal: {
          subject: payload.sub as string,
          claims,
          scopes: scopesOf(payload[options.scopeClaim ?? 'scope']),
          expiresAt: payload.exp as number,
        },
      };
    } catch (error) {
      return { ok: false, reason: describe(error) };
    }
  };
}

/** `"a b"` or `["a", "b"]` -> `["a", "b"]`; anything else -> no scope. */
export function scopesOf(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(/\s+/).filter(Boolean);
  if (Array.isArray(claim)) return claim.filter((scope): scope is string => typeof scope === 'string' && scope !== '');
  return [];
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'Access token expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `Access token rejected: ${error.claim} claim is not valid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'Access token rejected: signing algorithm not allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'Access token rejected: signed by an unknown key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'Access token rejected: bad signature';
  return 'Access token rejected: malformed';
}

/** `Authorization: Bearer <token>` -> token; anything else -> null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '');
  return match?.[1] ?? null;
}
