import { jwtVerify, SignJWT } from 'jose';

/**
 * The router's credential: a short-lived HS256 token, minted per request with a secret only the
 * router and the subgraphs hold. It proves the request came through the router and carries the
 * caller as the router established it. Domain-neutral: the claims are whatever the router was
 * configured to forward from the verified access token.
 */
export const CALLER_HEADER = 'x-caller-token';
const ISSUER = 'urn:supergraph:router';
const AUDIENCE = 'urn:supergraph:subgraphs';
const LIFETIME_SECONDS = 60;

export interface CallerClaims {
  /** The authenticated subject, or null for an anonymous caller. */
  subject: string | null;
  requestId: string;
  clientAddress: string | null;
  /** Claims copied from the access token (e.g. role, tenant). */
  claims: Record<string, unknown>;
}

const keyOf = (secret: string): Uint8Array => new TextEncoder().encode(secret);

export async function signCallerToken(secret: string, caller: CallerClaims): Promise<string> {
  return new SignJWT({ rid: caller.requestId, ip: caller.clientAddress, fwd: caller.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(caller.subject ?? '')
    .setIssuedAt()
    .setExpirationTime(`${LIFETIME_SECONDS}s`)
    .sign(keyOf(secret));
}

/** Throws unless the token was minted by the router with this secret and is still fresh. */
export async function verifyCallerToken(secret: string, token: string): Promise<CallerClaims> {
  const { payload } = await jwtVerify(token, keyOf(secret), {
    algorithms: ['HS256'],
    issuer: ISSUER,
    audience: AUDIENCE,
  });
  if (typeof payload.rid !== 'string') throw new Error('caller token has no request id');
  const claims = payload.fwd && typeof payload.fwd === 'object' ? (payload.fwd as Record<string, unknown>) : {};
  return {
    subject: payload.sub ? payload.sub : null,
    requestId: payload.rid,
    clientAddress: typeof payload.ip === 'string' ? payload.ip : null,
    claims,
  };
}
