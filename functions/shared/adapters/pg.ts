import { createHash } from 'node:crypto';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { secretString } from './secrets';

/**
 * Server-side prepared statements for parameterised queries (PG_PREPARED_STATEMENTS).
 *
 * node-postgres sends an unnamed statement by default, so PostgreSQL parses and plans every query
 * again; for the saga's CTE statements planning cost as much as executing (pg_stat_statements:
 * 0.28 ms plan / 0.48 ms exec for the order insert). A named statement is parsed once per
 * connection and, after five runs, executed with a cached generic plan.
 *
 * On by default for a direct connection (PG_URL: the local engines, CI). Off by default behind RDS
 * Proxy (DB_HOST), because named statements pin the client session to one database connection
 * there and defeat the proxy's multiplexing. Texts without parameters (the multi-statement
 * simple queries of runStepOnce, BEGIN/COMMIT) are never prepared. At most MAX_PREPARED distinct
 * texts get a name, so a text built at run time cannot grow the server's statement cache unbounded.
 */
const MAX_PREPARED = 256;
const statementNames = new Map<string, string>();
export function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED) {
    name = `p_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** A pg Client that runs every `query(text, values)` as a named (prepared) statement. */
export class PreparingClient extends Client {
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    const name = typeof text === 'string' && Array.isArray(values) ? statementName(text) : undefined;
    const q = Client.prototype.query as (...a: unknown[]) => never;
    return name ? q.call(this, { name, text, values }, callback) : q.apply(this, args);
  }
}

export function preparedStatementsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.PG_PREPARED_STATEMENTS?.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return Boolean(env.PG_URL); // direct connection yes; RDS Proxy no
}

/** The pg Client class a pool uses: the preparing one when prepared statements are enabled. */
function clientOption(): Pick<PoolConfig, 'Client'> {
  return preparedStatementsEnabled() ? { Client: PreparingClient } : {};
}

/** Pool options for a connection string, with prepared statements when enabled. */
export function poolOptions(connectionString: string, max: number): PoolConfig {
  return { connectionString, max, ...clientOption() };
}

/**
 * PostgreSQL pool, made once per cold start.
 * Locally: PG_URL (postgres://user:pass@host:port/db).
 * On AWS: DB_HOST (the RDS Proxy endpoint), DB_NAME, DB_SECRET_ARN (username/password JSON), TLS required.
 */
let pool: Promise<Pool> | undefined;

async function config(): Promise<PoolConfig> {
  const max = Number(process.env.PG_POOL_MAX ?? (process.env.AWS_LAMBDA_FUNCTION_NAME ? 2 : 20));
  if (process.env.PG_URL) return { connectionString: process.env.PG_URL, max };
  const host = process.env.DB_HOST;
  const arn = process.env.DB_SECRET_ARN;
  if (!host || !arn) throw new Error('invalid environment: set PG_URL, or DB_HOST and DB_SECRET_ARN');
  const secret = JSON.parse(await secretString(arn)) as { username: string; password: string; port?: number };
  return {
    host,
    port: Number(process.env.DB_PORT ?? secret.port ?? 5432),
    database: process.env.DB_NAME ?? 'shop',
    user: secret.username,
    password: secret.password,
    ssl: { rejectUnauthorized: true },
    max,
  };
}

export function getPool(): Promise<Pool> {
  pool ??= config().then((c) => new Pool({ ...c, ...clientOption() }));
  return pool;
}

/** Runs fn in one transaction; rolls back on any error. */
export async function withTransaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await (await getPool()).connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await (await p).end();
}
