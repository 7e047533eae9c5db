import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { secretString } from './secrets';

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
  pool ??= config().then((c) => new Pool(c));
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
