import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Client, type ClientConfig } from 'pg';
import { getPool } from '../shared/adapters/pg';
import { secretString } from '../shared/adapters/secrets';
import { logger } from '../shared/powertools';
import { setLoginPasswords } from './db-roles';

/**
 * PostgreSQL migrations (node-pg-migrate 7), one code path for every deployer:
 *  - `runMigrations()` is called by `npm start` and by the integration tests;
 *  - `handler` is the CloudFormation custom resource (CDK Provider framework `onEvent`) that runs
 *    the same function on deploy.
 * Migration files are CommonJS in `migrations/` at the repo root. In the Lambda bundle they are
 * expected next to the handler (`/var/task/migrations`, copied by the CDK bundling hook) or where
 * MIGRATIONS_DIR points.
 */
export const MIGRATIONS_TABLE = 'pgmigrations';

export interface RunMigrationsOptions {
  /** Connection string or pg client config; default: the shared pg adapter (PG_URL, or RDS Proxy + secret). */
  readonly databaseUrl?: string | ClientConfig;
  /** Folder with the migration files; default MIGRATIONS_DIR, else ./migrations next to the bundle, else <repo>/migrations. */
  readonly dir?: string;
  /** 'up' (default) or 'down'. */
  readonly direction?: 'up' | 'down';
  /** How many to run; default all for up, 1 for down. */
  readonly count?: number;
  readonly log?: (msg: string) => void;
}

export function migrationsDir(dir?: string): string {
  const candidates = [dir, process.env.MIGRATIONS_DIR, join(__dirname, 'migrations'), join(__dirname, '../../migrations')].filter(
    (d): d is string => typeof d === 'string' && d !== '',
  );
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new Error(`migrations folder not found (looked in: ${candidates.join(', ')})`);
  return found;
}

/** Applies pending migrations; returns the names it ran. Safe to call concurrently (advisory lock). */
export async function runMigrations(opts: RunMigrationsOptions = {}): Promise<string[]> {
  const dir = migrationsDir(opts.dir);
  const log = opts.log ?? ((m: string) => logger.debug(m));
  const direction = opts.direction ?? 'up';
  const common = {
    dir,
    direction,
    count: opts.count ?? (direction === 'up' ? Infinity : 1),
    migrationsTable: MIGRATIONS_TABLE,
    checkOrder: true,
    singleTransaction: true,
    logger: { debug: log, info: log, warn: log, error: log },
  } as const;
  let ran: Array<{ name: string }>;
  if (opts.databaseUrl) {
    ran = await runner({ ...common, databaseUrl: opts.databaseUrl });
  } else {
    const client = await (await getPool()).connect();
    try {
      ran = await runner({ ...common, dbClient: client as unknown as Client });
    } finally {
      client.release();
    }
  }
  return ran.map((m) => m.name);
}

/**
 * Sets each service login role's password from its Secrets Manager secret (`{username, password}`),
 * as the admin (the default pool: DB_SECRET_ARN is the admin's on this function). The ARNs come
 * from DB_SERVICE_SECRET_ARNS (comma-separated; CDK sets it with a read grant on each). Only the
 * services' login roles (functions/platform/db-roles.ts) are accepted. Returns the roles it set.
 */
export async function setServiceLoginPasswords(arns: readonly string[] = serviceSecretArns()): Promise<string[]> {
  if (arns.length === 0) return [];
  const logins = await Promise.all(
    arns.map(async (arn) => {
      const s = JSON.parse(await secretString(arn)) as { username?: unknown; password?: unknown };
      if (typeof s.username !== 'string' || typeof s.password !== 'string') throw new Error(`secret ${arn} has no username/password`);
      return { username: s.username, password: s.password };
    }),
  );
  const client = await (await getPool()).connect();
  try {
    return await setLoginPasswords(client, logins);
  } finally {
    client.release();
  }
}

export function serviceSecretArns(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.DB_SERVICE_SECRET_ARNS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * CloudFormation custom resource (Provider framework onEvent): migrate on Create/Update, then set
 * the service login roles' passwords from their secrets; keep data on Delete.
 */
export const handler = async (event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string; Data: Record<string, string> }> => {
  const physicalId = 'PhysicalResourceId' in event && event.PhysicalResourceId ? event.PhysicalResourceId : 'shop-postgres-migrations';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { applied: '' } };
  const ran = await runMigrations({ log: (m) => logger.info(m) });
  logger.info('migrations applied', { ran });
  const logins = await setServiceLoginPasswords();
  if (logins.length > 0) logger.info('service login passwords set', { logins });
  return { PhysicalResourceId: physicalId, Data: { applied: ran.join(',') } };
};
