import type { PoolClient } from 'pg';
import { getPool } from '../../shared/adapters/pg';
import type { UserRole } from '../domain/schemas';
import { isUuid } from '../../shared/uuid';

export interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly password_hash: string;
  readonly name: string | null;
  readonly roles: UserRole[];
  readonly created_at: Date;
}

/** PostgreSQL unique_violation on the email constraint. */
export function isEmailTaken(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && e.constraint === 'users_email_key';
}

/** Inserts an account (roles: the column default, customer). Throws a unique_violation for a taken email (isEmailTaken). */
export async function insertUser(tx: PoolClient, u: { id: string; email: string; passwordHash: string; name: string | undefined }): Promise<{ roles: UserRole[]; createdAt: Date }> {
  const r = await tx.query<{ roles: UserRole[]; created_at: Date }>(
    'INSERT INTO users (id, email, password_hash, name) VALUES ($1::uuid, $2::text, $3::text, $4::text) RETURNING roles, created_at',
    [u.id, u.email, u.passwordHash, u.name ?? null],
  );
  return { roles: r.rows[0]!.roles, createdAt: r.rows[0]!.created_at };
}

export async function findByEmail(email: string): Promise<UserRow | undefined> {
  const r = await (await getPool()).query<UserRow>('SELECT id, email, password_hash, name, roles, created_at FROM users WHERE email = $1::text', [email]);
  return r.rows[0];
}


/** The account of an id; undefined for an id that is not a uuid (a dev token's `sub`) or has no row. */
export async function findById(id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  const r = await (await getPool()).query<UserRow>('SELECT id, email, password_hash, name, roles, created_at FROM users WHERE id = $1::uuid', [id]);
  return r.rows[0];
}
