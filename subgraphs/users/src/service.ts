import { randomUUID } from 'node:crypto';
import { assertCan, requireCabinet } from '@cabinet/platform/access';
import type { Auditor, AuditTarget } from '@cabinet/platform/audit';
import type { EntityManager, MikroORM } from '@cabinet/platform/database';
import { badUserInput, conflict, DomainError, notFound, unauthenticated } from '@cabinet/platform/errors';
import { envelope, STAFF_PROFILE_CHANGED, type StaffProfileChanged } from '@cabinet/platform/events';
import type { Caller, Identity } from '@cabinet/platform/identity';
import type { Logger } from '@cabinet/platform/logger';
import { recordEvent } from '@cabinet/platform/outbox';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { KeyRing } from './auth/key-ring.ts';
import type { LoginThrottle } from './auth/login-throttle.ts';
import { hashPassword, verifyPassword } from './auth/password.ts';
import { generateRefreshToken, hashRefreshToken, issueAccessToken, type TokenSettings } from './auth/tokens.ts';
import { assertPasswordPolicy, isUuid, normalizeEmail, validateNewAccount } from './domain/account.ts';
import {
  decideRefresh,
  familyExpiry,
  REFRESH_TOKEN_SHAPE,
  type RefreshSettings,
  secondsUntil,
  tokenExpiry,
} from './domain/refresh-family.ts';
import {
  type AccountChange,
  type AccountState,
  applyAccountChange,
  applyProfileChange,
  type ProfileChange,
  type StaffFilter,
  staffQueryFor,
} from './domain/staff-account.ts';
import { AuthSession, RefreshToken } from './persistence/session.entity.ts';
import { findStaff } from './persistence/staff-directory.ts';
import { User, type UserRecord } from './persistence/user.entity.ts';

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: string;
  cabinetId: string | null;
  patientId: string | null;
  active: boolean;
  createdAt: string;
  phone: string | null;
  signature: string | null;
}

export interface AuthPayload {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  user: UserView;
}

export interface NewAccountInput {
  email: string;
  password: string;
  name: string;
  role: string;
  cabinetId?: string | null;
  patientId?: string | null;
}

export interface UsersServiceOptions {
  orm: MikroORM;
  log: Logger;
  keys: KeyRing;
  tokens: TokenSettings;
  refresh: RefreshSettings;
  throttle: LoginThrottle;
  auditor: Auditor;
  /** Full topic name (with any prefix) of the users events (staff profiles). */
  topic: string;
  /** Called after a commit that recorded audit events, so the relay sends them at once. */
  onEventsRecorded: () => void;
  clock?: () => Date;
}

const view = (user: Omit<UserRecord, 'passwordHash'>): UserView => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: user.role,
  cabinetId: user.cabinetId ?? null,
  patientId: user.patientId ?? null,
  active: user.active,
  createdAt: user.createdAt.toISOString(),
  phone: user.phone ?? null,
  signature: user.signature ?? null,
});

/**
 * Announces a staff account's current profile (name, signature line...) through the outbox, in the
 * caller's transaction. A patient's account is nobody else's business: only staff roles are
 * announced (an account leaving a staff role is announced once more, with its new role).
 */
function recordProfile(
  em: EntityManager,
  topic: string,
  caller: Caller,
  user: UserRecord,
  previousRole: string = user.role,
): void {
  if (user.role === 'PATIENT' && previousRole === 'PATIENT') return;
  const data: StaffProfileChanged = {
    userId: user.id,
    role: user.role,
    cabinetId: user.cabinetId ?? null,
    name: user.name,
    signature: user.signature ?? null,
  };
  recordEvent(em, topic, user.id, envelope('users', STAFF_PROFILE_CHANGED, user.cabinetId ?? null, caller, data));
}

/** What an administrator's edit starts from. */
const stateOf = (user: UserRecord): AccountState => ({
  email: user.email,
  name: user.name,
  role: user.role,
  cabinetId: user.cabinetId ?? null,
  patientId: user.patientId ?? null,
  phone: user.phone ?? null,
});

const identityOf = (user: UserRecord): Identity => ({
  userId: user.id,
  role: user.role,
  cabinetId: user.cabinetId ?? null,
  patientId: user.patientId ?? null,
});

/**
 * The session of the caller's access token (its `sid` claim), once the router forwards it and the
 * platform's Identity carries it as `sessionId`.
 */
function sessionIdOf(identity: Identity): string | null {
  const sessionId = (identity as Identity & { sessionId?: unknown }).sessionId;
  return typeof sessionId === 'string' && isUuid(sessionId) ? sessionId : null;
}

/** One answer for every failed sign-in: unknown email, wrong password, inactive account, throttled. */
export const INVALID_CREDENTIALS = 'Invalid email or password';
export const INVALID_REFRESH_TOKEN = 'Invalid or expired refresh token';
const WRONG_CURRENT_PASSWORD = 'currentPassword is not correct';

/**
 * Accounts, sessions and tokens. Every mutation leaves an audit record, allowed or denied; the
 * permission check comes first in each method (the router checks the schema's rules too). No
 * password or token ever reaches a log or an audit record.
 */
export class UsersService {
  readonly #options: UsersServiceOptions;
  readonly #clock: () => Date;
  /** Verified against when the email is unknown, so both failures cost the same time. */
  readonly #decoyHash: Promise<string>;

  constructor(options: UsersServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
    this.#decoyHash = hashPassword(randomUUID());
  }

  async login(caller: Caller, email: string, password: string): Promise<AuthPayload> {
    const { auditor, throttle, log } = this.#options;
    const target: AuditTarget = { action: 'login', entity: 'User' };
    const normalized = normalizeEmail(email);
    const attempt = await throttle.begin(normalized, caller.clientAddress);
    if (attempt.verdict.throttled) {
      const { by, retryAt } = attempt.verdict;
      log.warn({ requestId: caller.requestId, by, retryAt, clientAddress: caller.clientAddress }, 'login throttled');
      await auditor.recordNow(caller, target, 'DENIED', 'THROTTLED');
      throw unauthenticated(INVALID_CREDENTIALS);
    }
    const user = await this.#options.orm.em.fork().findOne(User, { email: normalized }, { populate: ['passwordHash'] });
    const matches = await verifyPassword(password, user?.passwordHash ?? (await this.#decoyHash));
    if (!user || !matches || !user.active) {
      const reason = user && matches ? 'ACCOUNT_INACTIVE' : 'INVALID_CREDENTIALS';
      log.info({ requestId: caller.requestId, userId: user?.id ?? null, reason }, 'login refused');
      await auditor.recordNow(caller, { ...target, entityId: user?.id ?? null }, 'DENIED', reason);
      throw unauthenticated(INVALID_CREDENTIALS);
    }
    const identity = identityOf(user);
    const now = this.#clock();
    const sessionId = randomUUID();
    const refreshToken = generateRefreshToken();
    const sessionExpiresAt = familyExpiry(now, this.#options.refresh);
    const tokenExpiresAt = tokenExpiry(now, sessionExpiresAt, this.#options.refresh);
    await this.#options.orm.em.fork().transactional(async (em) => {
      em.create(AuthSession, {
        id: sessionId,
        userId: user.id,
        createdAt: now,
        expiresAt: sessionExpiresAt,
        lastRefreshedAt: null,
        revokedAt: null,
        revokedReason: null,
      });
      em.create(RefreshToken, {
        id: randomUUID(),
        sessionId,
        tokenHash: hashRefreshToken(refreshToken),
        createdAt: now,
        expiresAt: tokenExpiresAt,
        usedAt: null,
      });
      auditor.record(em, { ...caller, identity }, { action: 'login', entity: 'Session', entityId: sessionId });
    });
    this.#options.onEventsRecorded();
    await throttle.release(attempt.id);
    log.info({ requestId: caller.requestId, userId: user.id, sessionId }, 'login succeeded');
    return this.#payload(identity, sessionId, refreshToken, tokenExpiresAt, now, user);
  }

  /**
   * Exchanges a refresh token for new tokens, using it up. A token presented twice revokes its
   * whole session: whoever holds the family, legitimately or not, must sign in again.
   */
  async refreshSession(caller: Caller, refreshToken: string): Promise<AuthPayload> {
    const { auditor, log } = this.#options;
    const target: AuditTarget = { action: 'refreshSession', entity: 'Session' };
    const now = this.#clock();
    if (!REFRESH_TOKEN_SHAPE.test(refreshToken)) {
      await auditor.recordNow(caller, target, 'DENIED', 'UNKNOWN_TOKEN');
      throw unauthenticated(INVALID_REFRESH_TOKEN);
    }
    const nextToken = generateRefreshToken();
    const outcome = await this.#options.orm.em.fork().transactional(async (em) => {
      // Locked in this order (token, then session) wherever both are: two presentations of
      // one token are serialized, and the second sees the first's use.
      const token = await em.findOne(
        RefreshToken,
        { tokenHash: hashRefreshToken(refreshToken) },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      const session = token
        ? await em.findOne(AuthSession, { id: token.sessionId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : null;
      const user = session ? await em.findOne(User, { id: session.userId }) : null;
      const decision = decideRefresh(token, session, user?.active ?? false, now, this.#options.refresh);
      if (decision.kind === 'refuse' || !token || !session || !user) {
        const reason = decision.kind === 'refuse' ? decision.reason : 'UNKNOWN_TOKEN';
        if (decision.kind === 'refuse' && decision.revokeFamily && session && !session.revokedAt) {
          session.revokedAt = now;
          session.revokedReason = reason;
        }
        auditor.record(em, caller, { ...target, entityId: session?.id ?? null }, 'DENIED', reason);
        return { refused: reason, sessionId: session?.id ?? null, userId: user?.id ?? null } as const;
      }
      token.usedAt = now;
      session.lastRefreshedAt = now;
      em.create(RefreshToken, {
        id: randomUUID(),
        sessionId: session.id,
        tokenHash: hashRefreshToken(nextToken),
        createdAt: now,
        expiresAt: decision.nextTokenExpiresAt,
        usedAt: null,
      });
      const identity = identityOf(user);
      auditor.record(em, { ...caller, identity }, { ...target, entityId: session.id });
      return { identity, user, sessionId: session.id, expiresAt: decision.nextTokenExpiresAt } as const;
    });
    this.#options.onEventsRecorded();
    if ('refused' in outcome) {
      const { refused, sessionId, userId } = outcome;
      const level = refused === 'TOKEN_REUSED' ? 'warn' : 'info';
      log[level]({ requestId: caller.requestId, reason: refused, sessionId, userId }, 'refresh refused');
      throw unauthenticated(INVALID_REFRESH_TOKEN);
    }
    const { identity, user, sessionId, expiresAt } = outcome;
    return this.#payload(identity, sessionId, nextToken, expiresAt, now, user);
  }

  /**
   * Ends the caller's session: the one its access token names (`sid`), and/or the one
   * `refreshToken` belongs to. Its refresh tokens stop working at once; access tokens already
   * issued stay valid until they expire (they are stateless, at most ACCESS_TOKEN_TTL_SECONDS).
   */
  async logout(caller: Caller, refreshToken?: string | null): Promise<boolean> {
    const { auditor } = this.#options;
    const target: AuditTarget = { action: 'logout', entity: 'Session' };
    const identity = await this.#authenticated(caller, target);
    const sessionIds = new Set<string>();
    const sid = sessionIdOf(identity);
    if (sid) sessionIds.add(sid);
    if (refreshToken) {
      const em = this.#options.orm.em.fork();
      const token = REFRESH_TOKEN_SHAPE.test(refreshToken)
        ? await em.findOne(RefreshToken, { tokenHash: hashRefreshToken(refreshToken) })
        : null;
      const session = token ? await em.findOne(AuthSession, { id: token.sessionId, userId: identity.userId }) : null;
      if (!session) {
        const error = badUserInput('refreshToken is not a token of your sessions', 'refreshToken');
        await auditor.denied(caller, target, error);
        throw error;
      }
      sessionIds.add(session.id);
    }
    if (sessionIds.size === 0) {
      const error = badUserInput('no session to end: pass the refreshToken of the session', 'refreshToken');
      await auditor.denied(caller, target, error);
      throw error;
    }
    const now = this.#clock();
    await this.#options.orm.em.fork().transactional(async (em) => {
      await em.nativeUpdate(
        AuthSession,
        { id: { $in: [...sessionIds] }, userId: identity.userId, revokedAt: null },
        { revokedAt: now, revokedReason: 'LOGOUT' },
      );
      for (const sessionId of sessionIds) auditor.record(em, caller, { ...target, entityId: sessionId });
    });
    this.#options.onEventsRecorded();
    this.#options.log.info(
      { requestId: caller.requestId, userId: identity.userId, sessions: sessionIds.size },
      'logout',
    );
    return true;
  }

  /**
   * Changes the caller's password after checking the current one (attempts are throttled like
   * sign-ins), and ends every session of the account. Access tokens already issued stay valid
   * until they expire.
   */
  async changePassword(caller: Caller, currentPassword: string, newPassword: string): Promise<boolean> {
    const { auditor, throttle } = this.#options;
    const target: AuditTarget = { action: 'changePassword', entity: 'User', entityId: caller.identity?.userId ?? null };
    const identity = await this.#authenticated(caller, target);
    try {
      assertPasswordPolicy(newPassword, 'newPassword');
      if (newPassword === currentPassword) {
        throw badUserInput('newPassword must differ from the current password', 'newPassword');
      }
    } catch (error) {
      await auditor.denied(caller, target, error);
      throw error;
    }
    const user = await this.#options.orm.em
      .fork()
      .findOne(User, { id: identity.userId }, { populate: ['passwordHash'] });
    if (!user?.active) {
      const error = unauthenticated('This account no longer exists or is deactivated');
      await auditor.denied(caller, target, error);
      throw error;
    }
    const attempt = await throttle.begin(user.email, caller.clientAddress);
    const matches = !attempt.verdict.throttled && (await verifyPassword(currentPassword, user.passwordHash));
    if (!matches) {
      await auditor.recordNow(
        caller,
        target,
        'DENIED',
        attempt.verdict.throttled ? 'THROTTLED' : 'INVALID_CREDENTIALS',
      );
      throw badUserInput(WRONG_CURRENT_PASSWORD, 'currentPassword');
    }
    await throttle.release(attempt.id);
    const passwordHash = await hashPassword(newPassword);
    const now = this.#clock();
    const revoked = await this.#options.orm.em.fork().transactional(async (em) => {
      await em.nativeUpdate(User, { id: user.id }, { passwordHash, updatedAt: now });
      const count = await em.nativeUpdate(
        AuthSession,
        { userId: user.id, revokedAt: null },
        { revokedAt: now, revokedReason: 'PASSWORD_CHANGED' },
      );
      auditor.record(em, caller, target);
      return count;
    });
    this.#options.onEventsRecorded();
    this.#options.log.info(
      { requestId: caller.requestId, userId: user.id, sessionsRevoked: revoked },
      'password changed',
    );
    return true;
  }

  async createStaffAccount(caller: Caller, input: NewAccountInput): Promise<UserView> {
    const { auditor } = this.#options;
    const target: AuditTarget = { action: 'createStaffAccount', entity: 'User' };
    const actor = await auditor.authorize(caller, 'staff:create', target);
    let account: ReturnType<typeof validateNewAccount>;
    try {
      account = validateNewAccount(input);
    } catch (error) {
      await auditor.denied(caller, target, error);
      throw error;
    }
    const passwordHash = await hashPassword(account.password);
    let user: UserRecord;
    try {
      user = await this.#options.orm.em.fork().transactional(async (em) => {
        const now = this.#clock();
        const created = em.create(User, {
          id: randomUUID(),
          email: account.email,
          name: account.name,
          role: account.role,
          cabinetId: account.cabinetId,
          patientId: account.patientId,
          passwordHash,
          active: true,
          createdAt: now,
          updatedAt: now,
        });
        auditor.record(em, caller, { ...target, entityId: created.id, patientId: account.patientId });
        recordProfile(em, this.#options.topic, caller, created);
        return created;
      });
    } catch (error) {
      throw await this.#clashOrRethrow(caller, target, error);
    }
    this.#options.onEventsRecorded();
    this.#options.log.info(
      { requestId: caller.requestId, userId: user.id, role: user.role, by: actor.userId },
      'account created',
    );
    return view(user);
  }

  /**
   * Edits an account (ADMIN): name, email, role, practice, patient file, phone, with the rules of
   * a new account. A new password (null or empty keeps the current one) ends every session of the
   * account. An administrator cannot change their own role.
   */
  async updateStaffAccount(caller: Caller, id: string, change: AccountChange): Promise<UserView> {
    const { auditor } = this.#options;
    const target: AuditTarget = { action: 'updateStaffAccount', entity: 'User', entityId: id };
    const actor = await auditor.authorize(caller, 'staff:manage', target);
    const edited = (user: UserRecord) => {
      const edit = applyAccountChange(stateOf(user), change);
      if (id === actor.userId && edit.role !== user.role) {
        throw badUserInput('you cannot change the role of your own account', 'role');
      }
      return edit;
    };
    // Checked before the (slow) password hashing, and again on the locked row.
    const current = await this.#accountOrNotFound(caller, target, id);
    let password: string | null;
    try {
      password = edited(current).password;
    } catch (error) {
      await auditor.denied(caller, target, error);
      throw error;
    }
    const passwordHash = password === null ? null : await hashPassword(password);
    const now = this.#clock();
    let outcome: { user: UserRecord; revoked: number };
    try {
      outcome = await this.#options.orm.em.fork().transactional(async (em) => {
        const user = await em.findOneOrFail(User, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const { password: _password, ...edit } = edited(user);
        const previousRole = user.role;
        Object.assign(user, edit, passwordHash ? { passwordHash } : {}, { updatedAt: now });
        recordProfile(em, this.#options.topic, caller, user, previousRole);
        const revoked = passwordHash ? await this.#revokeSessions(em, id, now, 'PASSWORD_RESET') : 0;
        auditor.record(
          em,
          caller,
          { ...target, patientId: edit.patientId },
          'ALLOWED',
          passwordHash ? 'PASSWORD_RESET' : null,
        );
        return { user, revoked };
      });
    } catch (error) {
      if (error instanceof DomainError) {
        await auditor.denied(caller, target, error);
        throw error;
      }
      throw await this.#clashOrRethrow(caller, target, error);
    }
    this.#options.onEventsRecorded();
    this.#options.log.info(
      {
        requestId: caller.requestId,
        userId: id,
        by: actor.userId,
        passwordReset: passwordHash !== null,
        sessionsRevoked: outcome.revoked,
      },
      'account updated',
    );
    return view(outcome.user);
  }

  /** Deactivates an account (ADMIN): it stays stored, cannot sign in, and its sessions end. Not your own. */
  deactivateStaffAccount(caller: Caller, id: string): Promise<UserView> {
    return this.#setActive(caller, id, false);
  }

  /** Reactivates a deactivated account (ADMIN): it can sign in again (its ended sessions stay ended). */
  reactivateStaffAccount(caller: Caller, id: string): Promise<UserView> {
    return this.#setActive(caller, id, true);
  }

  /**
   * Accounts by name (staff:read): an ADMIN lists every account of the platform, narrowed by the
   * filter; practice staff list the DOCTOR and SECRETARY accounts of their own practice (another
   * practice is NOT_FOUND).
   */
  async staffAccounts(
    caller: Caller,
    args: { filter?: StaffFilter | null; limit?: number | null; offset?: number | null },
  ): Promise<UserView[]> {
    const { auditor } = this.#options;
    const target: AuditTarget = { action: 'staff:read', entity: 'User' };
    const actor = await auditor.authorize(caller, 'staff:read', target);
    let query: ReturnType<typeof staffQueryFor>;
    try {
      query = staffQueryFor(actor, args.filter ?? {}, args);
      if ('otherPractice' in query) throw notFound('Cabinet', query.otherPractice);
    } catch (error) {
      await auditor.denied(caller, { ...target, entity: 'Cabinet', entityId: args.filter?.cabinetId ?? null }, error);
      throw error;
    }
    return (await findStaff(this.#options.orm.em.fork(), query)).map(view);
  }

  /** The caller edits their own profile: display name, phone, prescription signature. */
  async updateMyProfile(caller: Caller, change: ProfileChange): Promise<UserView> {
    const { auditor } = this.#options;
    const target: AuditTarget = {
      action: 'updateMyProfile',
      entity: 'User',
      entityId: caller.identity?.userId ?? null,
    };
    const identity = await this.#authenticated(caller, target);
    const outcome = await this.#options.orm.em.fork().transactional(async (em) => {
      const mine = await em.findOne(User, { id: identity.userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      try {
        if (!mine?.active) throw unauthenticated('This account no longer exists or is deactivated');
        const current = { name: mine.name, phone: mine.phone ?? null, signature: mine.signature ?? null };
        Object.assign(mine, applyProfileChange(current, change), { updatedAt: this.#clock() });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        auditor.record(em, caller, target, 'DENIED', error.code);
        return { refusal: error };
      }
      auditor.record(em, caller, target);
      recordProfile(em, this.#options.topic, caller, mine);
      return { user: mine };
    });
    this.#options.onEventsRecorded();
    if ('refusal' in outcome) throw outcome.refusal;
    const user = outcome.user;
    this.#options.log.info({ requestId: caller.requestId, userId: identity.userId }, 'profile updated');
    return view(user);
  }

  /** Starts a signing-key rotation: the new key is published now and signs after the publication delay. */
  async rotateSigningKey(caller: Caller): Promise<boolean> {
    const { auditor, keys } = this.#options;
    const target: AuditTarget = { action: 'rotateSigningKey', entity: 'SigningKey' };
    const actor = await auditor.authorize(caller, 'keys:rotate', target);
    const rotation = await keys.rotate();
    await auditor.recordNow(
      caller,
      { ...target, entityId: rotation.kid },
      'ALLOWED',
      rotation.started ? null : 'ROTATION_ALREADY_UNDER_WAY',
    );
    this.#options.log.info(
      {
        requestId: caller.requestId,
        by: actor.userId,
        kid: rotation.kid,
        activatesAt: rotation.activatesAt,
        started: rotation.started,
      },
      'signing key rotation requested',
    );
    return true;
  }

  async me(caller: Caller): Promise<UserView> {
    if (!caller.identity) throw unauthenticated();
    const user = await this.#options.orm.em.fork().findOne(User, { id: caller.identity.userId });
    if (!user) throw unauthenticated('This account no longer exists');
    return view(user);
  }

  /**
   * The root of a patient's data export (right of access): their file's id and their account; the
   * other subgraphs add their parts. Audited as an access of the patient to their own data.
   */
  async dataExport(caller: Caller): Promise<{ patientId: string; generatedAt: string; account: UserView }> {
    const target = { action: 'exportOwnData', entity: 'PatientDataExport' };
    const identity = await this.#options.auditor.authorize(caller, 'patient:readOwn', target);
    const user = identity.patientId
      ? await this.#options.orm.em.fork().findOne(User, { id: identity.userId, patientId: identity.patientId })
      : null;
    if (!user || !identity.patientId) throw notFound('PatientDataExport', identity.userId);
    await this.#options.auditor.recordNow(caller, { ...target, patientId: identity.patientId });
    return { patientId: identity.patientId, generatedAt: new Date().toISOString(), account: view(user) };
  }

  /** A user as seen from another subgraph's entity: yourself, staff of your own practice, or, for ADMIN, anyone. */
  async userById(caller: Caller, id: string): Promise<UserView> {
    const found = (await this.usersByIds(caller, [id])).get(id) ?? notFound('User', id);
    if (found instanceof Error) throw found;
    return found;
  }

  /**
   * Users by id for one batch of entity references (e.g. the practitioners of an agenda), with
   * the rules of `userById` and one query whatever their number; each id gets its user or the
   * error it would get alone.
   */
  async usersByIds(caller: Caller, ids: readonly string[]): Promise<Map<string, UserView | DomainError>> {
    const answers = new Map<string, UserView | DomainError>();
    const self = caller.identity?.userId;
    if (self && ids.includes(self)) {
      answers.set(self, await this.me(caller).catch((error: DomainError) => error));
    }
    const others = ids.filter((id) => id !== self);
    if (others.length === 0) return answers;
    const targets: AuditTarget[] = others.map((id) => ({ action: 'staff:read', entity: 'User', entityId: id }));
    let cabinetId: string | null = null;
    try {
      const actor = assertCan(caller, 'staff:read');
      if (actor.role !== 'ADMIN') cabinetId = requireCabinet(actor);
    } catch (error) {
      const refusal = error as DomainError;
      await this.#options.auditor.recordAllNow(caller, targets, 'DENIED', refusal.code);
      for (const id of others) answers.set(id, refusal);
      return answers;
    }
    const wanted = others.filter(isUuid);
    const users = wanted.length
      ? await this.#options.orm.em
          .fork()
          .find(User, cabinetId ? { id: { $in: wanted }, cabinetId } : { id: { $in: wanted } })
      : [];
    const byId = new Map(users.map((user) => [user.id, view(user)]));
    for (const id of others) answers.set(id, byId.get(id) ?? notFound('User', id));
    return answers;
  }

  /** Creates the configured first admin (a platform account, no practice) when missing. Never resets a password. */
  async ensureAdmin(admin: { email: string; password: string; name: string }): Promise<void> {
    const em = this.#options.orm.em.fork();
    const email = normalizeEmail(admin.email);
    if (await em.findOne(User, { email })) return;
    const now = this.#clock();
    em.create(User, {
      id: randomUUID(),
      email,
      name: admin.name,
      role: 'ADMIN',
      cabinetId: null,
      patientId: null,
      passwordHash: await hashPassword(admin.password),
      active: true,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await em.flush();
      this.#options.log.info({ email }, 'first admin account created');
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  /** Deletes what can no longer count: old login attempts, sessions ended more than a day ago. */
  async purgeExpired(): Promise<{ attempts: number; sessions: number }> {
    const attempts = await this.#options.throttle.purge();
    const dayAgo = new Date(this.#clock().getTime() - 86400 * 1000);
    const sessions = await this.#options.orm.em.fork().nativeDelete(AuthSession, {
      $or: [{ expiresAt: { $lt: dayAgo } }, { revokedAt: { $lt: dayAgo } }],
    });
    return { attempts, sessions };
  }

  async #setActive(caller: Caller, id: string, active: boolean): Promise<UserView> {
    const { auditor } = this.#options;
    const action = active ? 'reactivateStaffAccount' : 'deactivateStaffAccount';
    const target: AuditTarget = { action, entity: 'User', entityId: id };
    const actor = await auditor.authorize(caller, 'staff:manage', target);
    await this.#accountOrNotFound(caller, target, id);
    const now = this.#clock();
    const outcome = await this.#options.orm.em.fork().transactional(async (em) => {
      const user = await em.findOneOrFail(User, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const refusal =
        !active && id === actor.userId
          ? badUserInput('you cannot deactivate your own account', 'id')
          : user.active === active
            ? conflict(active ? 'This account is already active' : 'This account is already deactivated')
            : null;
      if (refusal) {
        auditor.record(em, caller, target, 'DENIED', refusal.code);
        return { refusal };
      }
      user.active = active;
      user.updatedAt = now;
      const revoked = active ? 0 : await this.#revokeSessions(em, id, now, 'ACCOUNT_DEACTIVATED');
      auditor.record(em, caller, { ...target, patientId: user.patientId ?? null });
      return { user, revoked };
    });
    this.#options.onEventsRecorded();
    if ('refusal' in outcome) throw outcome.refusal;
    this.#options.log.info(
      { requestId: caller.requestId, userId: id, by: actor.userId, sessionsRevoked: outcome.revoked },
      active ? 'account reactivated' : 'account deactivated',
    );
    return view(outcome.user);
  }

  /** The account `id`, or NOT_FOUND (audited as a denial). */
  async #accountOrNotFound(caller: Caller, target: AuditTarget, id: string): Promise<UserRecord> {
    const user = isUuid(id) ? await this.#options.orm.em.fork().findOne(User, { id }) : null;
    if (user) return user;
    const error = notFound('User', id);
    await this.#options.auditor.denied(caller, target, error);
    throw error;
  }

  /** Ends every open session of an account; returns how many. */
  #revokeSessions(em: EntityManager, userId: string, now: Date, reason: string): Promise<number> {
    return em.nativeUpdate(AuthSession, { userId, revokedAt: null }, { revokedAt: now, revokedReason: reason });
  }

  /** A unique-index violation as the CONFLICT the client gets (audited); anything else unchanged. */
  async #clashOrRethrow(caller: Caller, target: AuditTarget, error: unknown): Promise<unknown> {
    if (!(error instanceof UniqueConstraintViolationException)) return error;
    const clash = conflict(
      error.message.includes('user_account_patient')
        ? 'An account is already linked to this patient file'
        : 'An account with this email already exists',
    );
    await this.#options.auditor.denied(caller, target, clash);
    return clash;
  }

  async #authenticated(caller: Caller, target: AuditTarget): Promise<Identity> {
    if (caller.identity) return caller.identity;
    const error = unauthenticated();
    await this.#options.auditor.denied(caller, target, error);
    throw error;
  }

  async #payload(
    identity: Identity,
    sessionId: string,
    refreshToken: string,
    refreshExpiresAt: Date,
    now: Date,
    user: UserRecord,
  ): Promise<AuthPayload> {
    const { keys, tokens } = this.#options;
    return {
      accessToken: await issueAccessToken(keys.signingKey(), tokens, identity, sessionId),
      tokenType: 'Bearer',
      expiresIn: tokens.ttlSeconds,
      refreshToken,
      refreshExpiresIn: secondsUntil(refreshExpiresAt, now),
      user: view(user),
    };
  }
}
