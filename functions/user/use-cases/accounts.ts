import { randomBytes, randomUUID } from 'node:crypto';
import { withTransaction } from '../../shared/adapters/pg';
import { signToken } from '../../shared/auth';
import { NotFoundError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import type { Caller } from '../../shared/http';
import { enqueue, publishNow } from '../../shared/outbox';
import { dummyHash, hashPassword, verifyPassword } from '../adapters/password';
import { findByEmail, findById, insertUser, isEmailTaken } from '../adapters/pg-users';
import { createSession, deleteSession } from '../adapters/redis-sessions';
import { EmailTakenError, InvalidCredentialsError } from '../domain/errors';
import { SESSION_TTL_SECONDS, USER_EVENTS_TOPIC, USER_EVENT_SOURCE, type LoginBody, type RegisterBody, type UserRegistered, type UserRole } from '../domain/schemas';

export interface UserDeps {
  readonly bcryptCost: number;
}

export interface Registered {
  readonly userId: string;
  readonly email: string;
  readonly roles: UserRole[];
}

/**
 * Registers an account: the users row and its UserRegistered outbox row in one transaction, then
 * the event is published to `user-events` right after the commit (best effort; the outbox relay
 * sends it otherwise). A taken email is the unique constraint's answer (race-safe): 409 EMAIL_TAKEN,
 * nothing written.
 */
export async function register(deps: UserDeps, body: RegisterBody): Promise<Registered> {
  const passwordHash = await hashPassword(body.password, deps.bcryptCost);
  const userId = randomUUID();
  const data: UserRegistered = { userId, email: body.email };
  const event = envelope({ type: 'UserRegistered', source: USER_EVENT_SOURCE, data });
  let out;
  try {
    out = await withTransaction(async (tx) => {
      const { roles } = await insertUser(tx, { id: userId, email: body.email, passwordHash, name: body.name });
      const rows = await enqueue(tx, [{ topic: USER_EVENTS_TOPIC, key: userId, event }]);
      return { roles, rows };
    });
  } catch (err) {
    if (isEmailTaken(err)) throw new EmailTakenError();
    throw err;
  }
  await publishNow(out.rows);
  return { userId, email: body.email, roles: out.roles };
}

export interface Session {
  readonly token: string;
  readonly expiresAt: string;
  readonly userId: string;
}

/**
 * Logs in: the same 401 for an unknown email and a wrong password, and an unknown email is checked
 * against a dummy hash so both take one bcrypt comparison. On success a new session `sid` is
 * stored in Redis for 24 h and a JWT carrying it (and expiring with it) is returned.
 */
export async function logIn(deps: UserDeps, body: LoginBody): Promise<Session> {
  const user = await findByEmail(body.email);
  const ok = await verifyPassword(body.password, user?.password_hash ?? dummyHash(deps.bcryptCost));
  if (!user || !ok) throw new InvalidCredentialsError();
  const sid = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const exp = now + SESSION_TTL_SECONDS;
  await createSession(sid, user.id, SESSION_TTL_SECONDS);
  const token = await signToken({ userId: user.id, roles: user.roles, sid }, { expiresIn: exp });
  return { token, expiresAt: new Date(exp * 1000).toISOString(), userId: user.id };
}

/** Ends the token's session (its `sid`); a token without one (a dev token) has none to end. */
export async function logOut(sid: string | undefined): Promise<void> {
  if (sid) await deleteSession(sid);
}

export interface Me {
  readonly userId: string;
  readonly email: string;
  readonly roles: UserRole[];
  readonly createdAt: string;
  readonly name?: string;
}

/** The caller's account; 404 when the token's user has no row (a dev token's made-up user). */
export async function me(caller: Caller): Promise<Me> {
  const u = await findById(caller.userId);
  if (!u) throw new NotFoundError('no account for this token');
  return { userId: u.id, email: u.email, roles: u.roles, createdAt: u.created_at.toISOString(), ...(u.name != null ? { name: u.name } : {}) };
}
