import { defineEntity, p } from '@mikro-orm/core';

/** One login attempt counted by the throttle: a failure, or one still being verified. */
export const LoginAttempt = defineEntity({
  name: 'LoginAttempt',
  tableName: 'login_attempt',
  properties: {
    id: p.uuid().primary(),
    /** SHA-256 (hex) of the normalized email. */
    emailKey: p.string(),
    clientAddress: p.string().nullable(),
    attemptedAt: p.datetime(),
  },
});
