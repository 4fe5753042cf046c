import { randomUUID } from 'node:crypto';
import { assertCan, requireCabinet } from '@cabinet/platform/access';
import type { MikroORM } from '@cabinet/platform/database';
import { conflict, notFound, unauthenticated } from '@cabinet/platform/errors';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { hashPassword, verifyPassword } from './auth/password.ts';
import type { SigningKeys } from './auth/signing-keys.ts';
import { issueAccessToken, type TokenSettings } from './auth/tokens.ts';
import { normalizeEmail, validateNewAccount } from './domain/account.ts';
import { User, type UserRecord } from './persistence/user.entity.ts';

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: string;
  cabinetId: string | null;
  active: boolean;
  createdAt: string;
}

export interface AuthPayload {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: UserView;
}

const view = (user: UserRecord): UserView => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  cabinetId: user.cabinetId ?? null,
  active: user.active,
  createdAt: user.createdAt.toISOString(),
});

const INVALID_CREDENTIALS = 'Invalid email or password';

export class UsersService {
  readonly #orm: MikroORM;
  readonly #keys: SigningKeys;
  readonly #tokens: TokenSettings;
  readonly #log: Logger;
  /** Verified against when the email is unknown, so both failures cost the same time. */
  readonly #decoyHash: Promise<string>;

  constructor(orm: MikroORM, keys: SigningKeys, tokens: TokenSettings, log: Logger) {
    this.#orm = orm;
    this.#keys = keys;
    this.#tokens = tokens;
    this.#log = log;
    this.#decoyHash = hashPassword(randomUUID());
  }

  async login(caller: Caller, email: string, password: string): Promise<AuthPayload> {
    const em = this.#orm.em.fork();
    const user = await em.findOne(User, { email: normalizeEmail(email) }, { populate: ['passwordHash'] });
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.#decoyHash));
    if (!user || !matches || !user.active) {
      this.#log.info({ requestId: caller.requestId, userId: user?.id ?? null }, 'login refused');
      throw unauthenticated(INVALID_CREDENTIALS);
    }
    const identity: Identity = { userId: user.id, role: user.role, cabinetId: user.cabinetId ?? null };
    const accessToken = await issueAccessToken(this.#keys, this.#tokens, identity);
    this.#log.info({ requestId: caller.requestId, userId: user.id }, 'login succeeded');
    return { accessToken, tokenType: 'Bearer', expiresIn: this.#tokens.ttlSeconds, user: view(user) };
  }

  async createStaffAccount(
    caller: Caller,
    input: { email: string; password: string; name: string; role: string; cabinetId?: string | null },
  ): Promise<UserView> {
    const actor = assertCan(caller, 'staff:create');
    const account = validateNewAccount({ ...input, cabinetId: input.cabinetId ?? actor.cabinetId });
    const em = this.#orm.em.fork();
    const now = new Date();
    const user = em.create(User, {
      id: randomUUID(),
      email: account.email,
      name: account.name,
      role: account.role,
      cabinetId: account.cabinetId,
      passwordHash: await hashPassword(account.password),
      active: true,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException)
        throw conflict('An account with this email already exists');
      throw error;
    }
    this.#log.info({ requestId: caller.requestId, userId: user.id, by: actor.userId }, 'staff account created');
    return view(user);
  }

  async me(caller: Caller): Promise<UserView> {
    if (!caller.identity) throw unauthenticated();
    const user = await this.#orm.em.fork().findOne(User, { id: caller.identity.userId });
    if (!user) throw unauthenticated('This account no longer exists');
    return view(user);
  }

  /** A user as seen from another subgraph's entity: yourself, or staff of your own practice. */
  async userById(caller: Caller, id: string): Promise<UserView> {
    if (caller.identity?.userId === id) return this.me(caller);
    const actor = assertCan(caller, 'staff:read');
    const cabinetId = requireCabinet(actor);
    const user = await this.#orm.em.fork().findOne(User, { id, cabinetId });
    if (!user) throw notFound('User', id);
    return view(user);
  }

  /** Creates the configured first admin when it does not exist yet. Never resets a password. */
  async ensureAdmin(admin: { email: string; password: string; name: string; cabinetId: string }): Promise<void> {
    const em = this.#orm.em.fork();
    const email = normalizeEmail(admin.email);
    if (await em.findOne(User, { email })) return;
    const now = new Date();
    em.create(User, {
      id: randomUUID(),
      email,
      name: admin.name,
      role: 'ADMIN',
      cabinetId: admin.cabinetId,
      passwordHash: await hashPassword(admin.password),
      active: true,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await em.flush();
      this.#log.info({ email }, 'first admin account created');
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }
}
