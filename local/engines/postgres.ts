/**
 * PostgreSQL from Debian's packages (15 here). Data in .engines/postgres/data, owned by the
 * `postgres` user when we run as root (postgres refuses to run as root), TCP on 127.0.0.1 only,
 * no Unix socket (paths can get too long in CI clones), scram-sha-256 for every connection.
 * Bootstrap superuser postgres/postgres; the app role shop/shop owns the database shop and has
 * CREATEROLE: the migrations (run as shop, like the admin on AWS) create the per-service roles
 * (migrations/1765500000000_service-roles.js) and the local runtime sets their local passwords.
 */
import { chownSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { PORTS, type Endpoints } from './endpoints';
import type { Engine, Log } from './types';
import { aptInstall, ensureDir, isRoot, logFile, makeReachable, run, spawnDaemon, stateDir, systemUser } from './util';

const DATA = path.join(stateDir('postgres'), 'data');
const SUPER_PASSWORD = 'postgres';

/** The newest /usr/lib/postgresql/<v>/bin that has a server binary (Debian's layout). */
function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
}

function runAs(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const u = systemUser('postgres');
  if (!u) throw new Error('running as root but there is no `postgres` user (apt-get install postgresql creates it)');
  return u;
}

async function canQuery(cfg: ClientConfig): Promise<boolean> {
  const c = new Client({ ...cfg, connectionTimeoutMillis: 2000, query_timeout: 3000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const postgres: Engine = {
  name: 'postgres',
  title: 'PostgreSQL',
  marker: DATA,
  // SIGTERM is "smart" shutdown (waits for every client to leave); SIGINT is "fast" (clean, no waiting).
  stopSignal: 'SIGINT',
  startTimeoutMs: 30_000,
  where: (e: Endpoints) => e.pgUrl,
  installed: () => binDir() !== undefined,

  async install(log: Log) {
    if (binDir()) return;
    // Debian would create and start a "main" cluster on 5432; we do not need it.
    ensureDir('/etc/postgresql-common');
    const conf = '/etc/postgresql-common/createcluster.conf';
    if (isRoot() && !existsSync(conf)) writeFileSync(conf, 'create_main_cluster = false\n');
    await aptInstall(['postgresql'], log);
    if (!binDir()) throw new Error('apt-get install postgresql did not provide /usr/lib/postgresql/<v>/bin/postgres');
  },

  async prepare(log: Log) {
    if (existsSync(path.join(DATA, 'PG_VERSION'))) return;
    const bin = binDir();
    if (!bin) throw new Error('PostgreSQL is not installed (run: npm run engines -- install)');
    const who = runAs();
    rmSync(DATA, { recursive: true, force: true }); // a half-made data folder from an interrupted initdb
    ensureDir(DATA);
    const pw = path.join(stateDir('postgres'), 'initdb.pw');
    writeFileSync(pw, `${SUPER_PASSWORD}\n`, { mode: 0o644 });
    if (who.uid !== undefined && who.gid !== undefined) {
      makeReachable(DATA, log);
      chownSync(DATA, who.uid, who.gid);
      chownSync(pw, who.uid, who.gid);
    }
    log('initdb');
    await run(
      path.join(bin, 'initdb'),
      ['-D', DATA, '-U', 'postgres', `--pwfile=${pw}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
      { ...who, logTo: logFile('postgres'), cwd: stateDir('postgres'), timeoutMs: 120_000 },
    ).catch(async (err: Error) => {
      // Some systems lack the C.UTF-8 locale: fall back to plain C.
      if (!/locale/i.test(err.message)) throw err;
      await run(path.join(bin, 'initdb'), ['-D', DATA, '-U', 'postgres', `--pwfile=${pw}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'], {
        ...who,
        logTo: logFile('postgres'),
        cwd: stateDir('postgres'),
      });
    });
  },

  async launch() {
    const bin = binDir();
    if (!bin) throw new Error('PostgreSQL is not installed (run: npm run engines -- install)');
    return spawnDaemon(
      'postgres',
      path.join(bin, 'postgres'),
      [
        '-D', DATA,
        '-p', String(PORTS.postgres),
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=200',
        '-c', 'shared_buffers=128MB',
        '-c', 'fsync=off', // a local, disposable engine: speed over durability
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
      ],
      { ...runAs(), cwd: stateDir('postgres') },
    );
  },

  async probe(e: Endpoints) {
    // Ready when the server accepts a real query: as the app role (set up, or a compose/external
    // server), else as the bootstrap superuser (first start, before the app role exists).
    if (await canQuery({ connectionString: e.pgUrl })) return true;
    const u = new URL(e.pgUrl);
    return canQuery({ host: u.hostname, port: Number(u.port || 5432), user: 'postgres', password: SUPER_PASSWORD, database: 'postgres' });
  },

  async afterReady(e: Endpoints, log: Log) {
    if (await canQuery({ connectionString: e.pgUrl })) return ensureCreateRole(e, log); // the app role and database exist
    const u = new URL(e.pgUrl);
    const c = new Client({ host: u.hostname, port: Number(u.port || 5432), user: 'postgres', password: SUPER_PASSWORD, database: 'postgres' });
    await c.connect();
    try {
      const user = decodeURIComponent(u.username || 'shop');
      const password = decodeURIComponent(u.password || 'shop');
      const db = u.pathname.replace(/^\//, '') || 'shop';
      const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
      const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
      const role = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      if (role.rowCount === 0) {
        log(`create role ${user}`);
        await c.query(`CREATE ROLE ${ident(user)} LOGIN CREATEDB CREATEROLE PASSWORD ${lit(password)}`);
      }
      for (const name of [db]) {
        const has = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (has.rowCount === 0) {
          log(`create database ${name}`);
          await c.query(`CREATE DATABASE ${ident(name)} OWNER ${ident(user)}`);
        }
      }
    } finally {
      await c.end();
    }
  },
};

/**
 * The app role needs CREATEROLE (migration 1765500000000 creates the per-service roles; the local
 * runtime sets their passwords). Data folders made before that have a `shop` without it: given here,
 * as the bootstrap superuser, when the app role lacks it.
 */
async function ensureCreateRole(e: Endpoints, log: Log): Promise<void> {
  const app = new Client({ connectionString: e.pgUrl, connectionTimeoutMillis: 2000 });
  app.on('error', () => undefined);
  let user: string;
  try {
    await app.connect();
    const r = await app.query<{ ok: boolean; user: string }>('SELECT rolcreaterole OR rolsuper AS ok, current_user AS user FROM pg_roles WHERE rolname = current_user');
    if (r.rows[0]?.ok) return;
    user = r.rows[0]!.user;
  } finally {
    await app.end().catch(() => undefined);
  }
  const u = new URL(e.pgUrl);
  const c = new Client({ host: u.hostname, port: Number(u.port || 5432), user: 'postgres', password: SUPER_PASSWORD, database: 'postgres', connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    log(`grant CREATEROLE to ${user}`);
    await c.query(`ALTER ROLE "${user.replace(/"/g, '""')}" CREATEROLE`);
  } catch (err) {
    log(`could not give ${user} CREATEROLE (${(err as Error).message}): the service-roles migration needs it`);
  } finally {
    await c.end().catch(() => undefined);
  }
}
