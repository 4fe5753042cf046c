import { OutboxEvent } from '@cabinet/platform/outbox';
import { LoginAttempt } from './login-attempt.entity.ts';
import { AuthSession, RefreshToken } from './session.entity.ts';
import { SigningKey } from './signing-key.entity.ts';
import { User } from './user.entity.ts';

/** Every entity of the users database. */
export const entities = [User, AuthSession, RefreshToken, LoginAttempt, SigningKey, OutboxEvent];
