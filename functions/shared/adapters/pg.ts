import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { logger } from '../powertools';
import { secretString } from './secrets';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the driver's own parameter conversion (no typings)
const { prepareValue } = require('pg/lib/utils') as { prepareValue(v: unknown): unknown };

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

/**
 * A pg Client that runs every `query(text, values)` as a named (prepared) statement. A query given
 * as a config object (see `unprepared`) goes as it is: unnamed, planned at each call.
 */
export class PreparingClient extends Client {
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    const name = typeof text === 'string' && Array.isArray(values) ? statementName(text) : undefined;
    const q = Client.prototype.query as (...a: unknown[]) => never;
    return name ? q.call(this, { name, text, values }, callback) : q.apply(this, args);
  }
}

/**
 * A parameterised query the preparing pool must NOT prepare: planned for the tables as they are at
 * each call, never from a cached generic plan. For statements on a table whose size swings (a queue
 * emptied by autovacuum), where a plan cached while it was small is wrong once it has grown.
 */
export function unprepared(text: string, values: unknown[]): { text: string; values: unknown[] } {
  return { text, values };
}

export function preparedStatementsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.PG_PREPARED_STATEMENTS?.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return Boolean(env.PG_URL); // direct connection yes; RDS Proxy no
}

/** What every pool of ours gets: the idle timeout, and the preparing Client class when prepared statements are enabled. */
function sharedPoolOptions(): Pick<PoolConfig, 'Client' | 'idleTimeoutMillis' | 'connectionTimeoutMillis'> {
  return { idleTimeoutMillis: idleTimeoutMs(), connectionTimeoutMillis: connectTimeoutMs(), ...(preparedStatementsEnabled() ? { Client: PreparingClient } : {}) };
}

/**
 * How long getting a connection may take (PG_CONNECT_TIMEOUT_MS, default 5 s; node-postgres's own
 * default is no limit). During an RDS failover a new connection can hang rather than be refused;
 * without a limit a saga task waited until its Lambda timed out. With one it fails with "timeout
 * exceeded when trying to connect", a TransientError the state machine retries, well inside the
 * task Lambdas' 10 s. It covers waiting for a free pool slot too.
 */
export function connectTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return millisecondsFrom(env, 'PG_CONNECT_TIMEOUT_MS', 5000, 'no limit');
}

/** A whole number of milliseconds from `env[name]` (blank: `fallback`), or an error naming the variable. */
function millisecondsFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, zeroMeans: string): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid environment: ${name} must be a whole number of milliseconds (0 = ${zeroMeans}), got '${raw}'`);
  return n;
}

/**
 * How long a pool keeps an idle connection (PG_IDLE_TIMEOUT_MS, default 5 minutes; node-postgres's
 * own default is 10 s). A new connection is expensive: a backend process, SCRAM authentication
 * (TLS too behind RDS Proxy), empty catalog caches and, with prepared statements, every statement
 * prepared again. With 10 s, a pause in traffic of a few seconds emptied the local pool, and the
 * next load step paid for ~17 new connections at once: in bench:saga a 100 ms hiccup became a
 * 700 ms window of slow orders (p99 233-404 ms at 100/s, against 64-95 ms with the pool kept).
 * Five minutes is well under RDS Proxy's idle client timeout (30 minutes), so the client side
 * closes first; a connection the server ends anyway is replaced (survivesLostConnections).
 */
export function idleTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return millisecondsFrom(env, 'PG_IDLE_TIMEOUT_MS', 300_000, 'never close');
}

/** Pool options for a connection string, with prepared statements when enabled. */
export function poolOptions(connectionString: string, max: number): PoolConfig {
  return { connectionString, max, ...sharedPoolOptions() };
}

/**
 * A parameterised statement as one statement of a multi-statement simple query, so it shares a
 * round trip with others (runStepOnce sends BEGIN, the order lock, the recorded steps and the
 * step's own statement together). With prepared statements enabled it is `EXECUTE s_<hash>(...)`
 * of a statement PREPAREd once per connection (so its plan is cached like a named statement's);
 * otherwise (behind RDS Proxy, where PREPARE would pin the session) it is the text with each `$n`
 * replaced by its value as a quoted literal, planned each time.
 *
 * Values are converted as the driver converts query parameters (arrays, dates, JSON) and quoted
 * with escapeLiteral; null and undefined are NULL. The text must cast every parameter
 * (`$1::uuid`, `$2::text[]`) so a quoted literal gets the same type as the prepared parameter, and
 * must not contain `$` anywhere else.
 */
const preparedOn = new WeakMap<object, Set<string>>();
export async function inlineStatement(client: PoolClient, text: string, values: readonly unknown[]): Promise<string> {
  const literal = (v: unknown) => {
    const p = prepareValue(v) as unknown;
    return p === null || p === undefined ? 'NULL' : client.escapeLiteral(String(p));
  };
  const name = preparedStatementsEnabled() ? statementName(`inline:${text}`)?.replace(/^p_/, 's_') : undefined;
  if (!name) {
    return text.replace(/\$(\d+)/g, (_, n: string) => {
      const i = Number(n) - 1;
      if (i < 0 || i >= values.length) throw new Error(`inlineStatement: no value for $${n}`);
      return literal(values[i]);
    });
  }
  let names = preparedOn.get(client);
  if (!names?.has(name)) {
    await client.query(`PREPARE ${name} AS ${text}`);
    if (!names) preparedOn.set(client, (names = new Set()));
    names.add(name);
  }
  return `EXECUTE ${name}(${values.map(literal).join(', ')})`;
}

/** Connections of the pool (PG_POOL_MAX; default 2 in Lambda, one invocation at a time, and 20 elsewhere). */
export function poolMax(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.PG_POOL_MAX ?? (env.AWS_LAMBDA_FUNCTION_NAME ? 2 : 20));
}

/**
 * PostgreSQL pool, made once per cold start.
 * Locally: PG_URL (postgres://user:pass@host:port/db).
 * On AWS: DB_HOST (the RDS Proxy endpoint), DB_NAME, DB_SECRET_ARN (username/password JSON), TLS required.
 */
let pool: Promise<Pool> | undefined;

async function config(): Promise<PoolConfig> {
  const max = poolMax();
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
  const service = serviceRoles ? serviceScope.getStore() : undefined;
  if (service !== undefined) return servicePool(service, serviceRoles!);
  pool ??= config().then((c) => survivesLostConnections(new Pool({ ...c, ...sharedPoolOptions() })));
  return pool;
}

/**
 * Per-service database roles in ONE process (the local runtime, where every handler of every
 * service shares the process). On AWS a function is one service and its pool above logs in with its
 * own service's secret (DB_SECRET_ARN), so nothing here is used there.
 *
 * The local runtime runs each handler invocation inside `runAsService(service, ...)` (an
 * AsyncLocalStorage scope: it follows the invocation's awaits, timers and the promises it starts,
 * such as the publish right after a commit) and registers, with `useServiceRoles`, how a service's
 * login role is reached. `getPool()` then answers, inside a scope, that service's own pool: PG_URL
 * with the service's login role and password instead of PG_URL's user, at most
 * PG_SERVICE_POOL_MAX connections (default 8; so all services together stay well under the local
 * engine's max_connections = 200, with the tests' and the runtime's own pools). Choosing the pool
 * costs a Map lookup: no SET ROLE, no extra round trip. Outside a scope (migrations, tests' own
 * fixtures, scripts) it is PG_URL's pool as before.
 */
export interface ServiceRoleLogin {
  readonly user: string;
  readonly password: string;
}
/** A service's login (the pool of that role), or 'admin' for the service whose PostgreSQL use is the admin's (the migrations). Throws for a service with no PostgreSQL role. */
export type ServiceRoleResolver = (service: string) => Promise<ServiceRoleLogin | 'admin'>;

// One scope for the process, whichever copy of this module a caller loaded (jest module registries).
const SCOPE_KEY = Symbol.for('shop.pg.serviceScope');
const scopes = globalThis as unknown as Record<symbol, AsyncLocalStorage<string> | undefined>;
const serviceScope: AsyncLocalStorage<string> = (scopes[SCOPE_KEY] ??= new AsyncLocalStorage<string>());
let serviceRoles: ServiceRoleResolver | undefined;
const servicePools = new Map<string, Promise<Pool>>();

/** Runs fn (and everything it starts) as `service`: its PostgreSQL queries use that service's role when service roles are on. */
export function runAsService<T>(service: string, fn: () => T): T {
  return serviceScope.run(service, fn);
}

/** The service whose scope the caller runs in (undefined outside one). */
export function currentService(): string | undefined {
  return serviceScope.getStore();
}

/** Turns per-service pools on (with how to log in as each service) or off (undefined). */
export function useServiceRoles(resolver: ServiceRoleResolver | undefined): void {
  serviceRoles = resolver;
}

export function servicePoolMax(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PG_SERVICE_POOL_MAX?.trim();
  if (!raw) return 8;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid environment: PG_SERVICE_POOL_MAX must be a whole number >= 1, got '${raw}'`);
  return n;
}

function servicePool(service: string, resolve: ServiceRoleResolver): Promise<Pool> {
  let p = servicePools.get(service);
  if (p) return p;
  p = (async () => {
    const login = await resolve(service);
    if (login === 'admin') {
      pool ??= config().then((c) => survivesLostConnections(new Pool({ ...c, ...sharedPoolOptions() })));
      return pool;
    }
    const base = process.env.PG_URL;
    if (!base) throw new Error('invalid environment: per-service roles need PG_URL');
    const u = new URL(base);
    u.username = encodeURIComponent(login.user);
    u.password = encodeURIComponent(login.password);
    return survivesLostConnections(new Pool(poolOptions(u.toString(), servicePoolMax())));
  })();
  servicePools.set(service, p);
  // A failed start (the database down, the role missing) is not kept: the next query tries again.
  p.catch(() => {
    if (servicePools.get(service) === p) servicePools.delete(service);
  });
  return p;
}

/**
 * A connection PostgreSQL ends (a restart, an RDS failover, RDS Proxy closing it) makes node-postgres
 * emit 'error': on the pool for an idle connection, on the client itself for one that is checked
 * out (between two queries of a transaction, say). Without a listener either is an uncaught
 * exception, and the whole process (`npm start`, a Lambda's runtime) died on it. With these
 * listeners it is logged: the pool drops that connection (a checked-out one when it is released:
 * it is no longer queryable), the next query opens a new one, and a query in flight fails on its
 * own (retried as transient).
 */
export function survivesLostConnections<P extends Pool>(p: P, log: (message: string, extra: Record<string, unknown>) => void = (m, e) => logger.warn(m, e)): P {
  const report = (where: string) => (err: Error & { code?: string }) => log(`a PostgreSQL connection was closed (${where}); the pool replaces it`, { code: err.code, error: err.message });
  p.on('error', report('idle'));
  p.on('connect', (client) => void client.on('error', report('in use')));
  return p;
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
  const all = [pool, ...servicePools.values()];
  pool = undefined;
  servicePools.clear();
  const ended = new Set<Pool>();
  await Promise.all(
    all.map(async (p) => {
      const q = await p?.catch(() => undefined);
      if (q && !ended.has(q)) {
        ended.add(q);
        await q.end();
      }
    }),
  );
}
