import { defineEntity, p } from '@mikro-orm/core';

/** A session: one family of refresh tokens, from one sign-in. Its id is the access tokens' `sid`. */
export const AuthSession = defineEntity({
  name: 'AuthSession',
  tableName: 'auth_session',
  properties: {
    id: p.uuid().primary(),
    userId: p.uuid(),
    createdAt: p.datetime(),
    /** Absolute end of the session, whatever happens. */
    expiresAt: p.datetime(),
    lastRefreshedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    /** LOGOUT, PASSWORD_CHANGED, TOKEN_REUSED, ACCOUNT_INACTIVE. */
    revokedReason: p.string().nullable(),
  },
});
export type AuthSessionRecord = InstanceType<typeof AuthSession.class>;

/** One refresh token of a family; only its SHA-256 is stored. */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_token',
  properties: {
    id: p.uuid().primary(),
    sessionId: p.uuid(),
    tokenHash: p.string(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
  },
});
export type RefreshTokenRecord = InstanceType<typeof RefreshToken.class>;
