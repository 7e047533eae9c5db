import { Client } from 'pg';
import { isDbService, localPassword, SERVICE_DB_ROLES, setLoginPasswords } from '../../functions/platform/db-roles';
import type { ServiceRoleLogin, ServiceRoleResolver } from '../../functions/shared/adapters/pg';
import { log } from './log';

/**
 * How the local runtime's handlers reach PostgreSQL as their own service (docs/local-runtime.md,
 * "PostgreSQL roles"): the service's login role (`svc_<service>`, made by migration
 * 1765500000000_service-roles) with its local password (functions/platform/db-roles.ts
 * `localPassword`). The first time a process needs a role it logs in once as it; when the password
 * is refused (a fresh database: the migration creates the role without one) it sets it, as PG_URL's
 * role (which needs CREATEROLE: the local engine gives it to `shop`), under an advisory lock so
 * concurrent processes do not race on the catalog row, then logs in again.
 *
 * The `platform` service's PostgreSQL handler is the Migrations custom resource, which runs as the
 * admin on AWS too: 'admin' (PG_URL's own pool). Any other service without a role is an error.
 */
export function localServiceRoles(): ServiceRoleResolver {
  const ready = new Map<string, Promise<void>>();
  return async (service: string): Promise<ServiceRoleLogin | 'admin'> => {
    if (service === 'platform') return 'admin';
    if (!isDbService(service)) throw new Error(`service '${service}' has no PostgreSQL role: its handlers do not declare the postgres store (lib/manifest, functions/platform/db-roles.ts)`);
    const login = { user: SERVICE_DB_ROLES[service].login, password: localPassword(SERVICE_DB_ROLES[service].login) };
    const base = process.env.PG_URL;
    if (!base) throw new Error('invalid environment: PG_URL is not set');
    const key = `${withoutCredentials(base)} ${login.user}`;
    let p = ready.get(key);
    if (!p) {
      p = ensureLogin(base, login);
      ready.set(key, p);
      p.catch(() => {
        if (ready.get(key) === p) ready.delete(key);
      });
    }
    await p;
    return login;
  };
}

function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function as(url: string, login: ServiceRoleLogin): string {
  const u = new URL(url);
  u.username = encodeURIComponent(login.user);
  u.password = encodeURIComponent(login.password);
  return u.toString();
}

/** Logs in once as the role; sets its local password when it is refused. */
async function ensureLogin(adminUrl: string, login: ServiceRoleLogin): Promise<void> {
  if (await canLogIn(as(adminUrl, login))) return;
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query('BEGIN');
    await admin.query('SELECT pg_advisory_xact_lock(41099, hashtext($1))', [login.user]);
    await setLoginPasswords(admin, [{ username: login.user, password: login.password }]);
    await admin.query('COMMIT');
    log.info(`postgres: set the local password of ${login.user}`);
  } catch (err) {
    await admin.query('ROLLBACK').catch(() => undefined);
    const e = err as Error & { code?: string };
    if (e.code === '42501') e.message = `${e.message} (setting the local password of ${login.user} needs CREATEROLE for PG_URL's role; the local engine gives it to 'shop', or run with LOCAL_PG_SERVICE_ROLES=false)`;
    throw e;
  } finally {
    await admin.end().catch(() => undefined);
  }
  if (!(await canLogIn(as(adminUrl, login)))) throw new Error(`cannot log in as ${login.user} with its local password after setting it`);
}

/** True when the role logs in; false when its password is refused (28P01); throws on anything else (the server down: transient). */
async function canLogIn(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') return false;
    throw err;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Per-service roles are on unless LOCAL_PG_SERVICE_ROLES is false/0 (then every handler uses PG_URL's role, as before). */
export function serviceRolesEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.LOCAL_PG_SERVICE_ROLES?.trim().toLowerCase();
  return !(v === 'false' || v === '0' || v === 'off');
}
