/**
 * Per-service PostgreSQL roles (migration 1765500000000_service-roles) on the real PostgreSQL, over
 * real connections as each service's login role (`svc_<service>`, with its local password):
 *  - each role CAN run what its service's code runs (the statements' shapes, writes rolled back),
 *  - and CANNOT read or write another service's tables (42501 insufficient_privilege), create
 *    tables, or read the migrations' bookkeeping;
 *  - the local runtime runs each handler as its service's role (one pool per role, chosen by the
 *    invocation's scope), and a permission error is not taken for a transient one.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DB_SERVICES, localPassword, SERVICE_DB_ROLES, type DbService } from '../../../functions/platform/db-roles';
import { runMigrations, setServiceLoginPasswords } from '../../../functions/platform/migrations';
import { closePool, currentService, getPool, runAsService, useServiceRoles } from '../../../functions/shared/adapters/pg';
import { isTransientInfraError } from '../../../functions/shared/errors';
import { endpoints } from '../../../local/engines/endpoints';
import { isTransient } from '../../../local/runtime/consumers';
import { localServiceRoles } from '../../../local/runtime/db-roles';
import { startPlatform, type Platform } from '../../../local/runtime';

jest.setTimeout(60000);

// The Migrations custom resource reads the service login secrets from Secrets Manager; here from this map.
const mockSecrets = new Map<string, string>();
jest.mock('../../../functions/shared/adapters/secrets', () => ({
  secretString: async (arn: string) => {
    const v = mockSecrets.get(arn);
    if (v === undefined) throw new Error(`no secret ${arn}`);
    return v;
  },
}));

const adminUrl = endpoints().pgUrl;
const clients = new Map<DbService, Client>();
let admin: Client;

function urlAs(service: DbService): string {
  const u = new URL(adminUrl);
  u.username = SERVICE_DB_ROLES[service].login;
  u.password = localPassword(SERVICE_DB_ROLES[service].login);
  return u.toString();
}

beforeAll(async () => {
  process.env.PG_URL ??= adminUrl;
  await runMigrations({ databaseUrl: adminUrl, log: () => undefined });
  // Sets the local passwords where a fresh database has none yet (what the runtime does on first use).
  const resolve = localServiceRoles();
  for (const s of DB_SERVICES) await resolve(s);
  admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  for (const s of DB_SERVICES) {
    const c = new Client({ connectionString: urlAs(s) });
    await c.connect();
    clients.set(s, c);
  }
});
afterAll(async () => {
  for (const c of clients.values()) await c.end().catch(() => undefined);
  await admin?.end();
  useServiceRoles(undefined);
  await closePool();
});

/** Runs the statement as the service inside a transaction that is rolled back; resolves with the error code (undefined: allowed). */
async function attempt(service: DbService, sql: string, values: unknown[] = []): Promise<string | undefined> {
  const c = clients.get(service)!;
  await c.query('BEGIN');
  try {
    await c.query(sql, values);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await c.query('ROLLBACK');
  }
}

const id = () => randomUUID();
const OUTBOX_ROW = `INSERT INTO outbox (event_id, topic, message_key, payload) VALUES ($1, 'inventory-events', 'db-roles-it', '{}'::jsonb) RETURNING id`;

/** What each service's code runs (same tables, columns, clauses), each expected to pass. */
const CAN: Record<DbService, Array<[string, string, unknown[]?]>> = {
  order: [
    ['sees whether a user has a wallet (a crypto order needs one)', 'SELECT EXISTS (SELECT 1 FROM wallet_accounts WHERE user_id = $1::uuid)', [id()]],
    ['reads its orders', 'SELECT * FROM orders LIMIT 1'],
    ['places an order (orders, order_items, outbox)', `WITH o AS (INSERT INTO orders (id, user_id, status, amount_cents, currency, payment_token) VALUES ($1, 'db-roles-it', 'PENDING', 0, 'EUR', 't') RETURNING id)
       SELECT (SELECT id FROM o)`, [id()]],
    ['reads the price list', 'SELECT sku, price_cents FROM inventory LIMIT 1'],
    ['reads order lines', 'SELECT sku, quantity, unit_price_cents FROM order_items LIMIT 1'],
    ['updates an order (cancel, confirm, sweeper)', `UPDATE orders SET status = status, payment_token = NULL, saga_checked_at = now(), saga_restarts = saga_restarts WHERE id = $1`, [id()]],
    ['claims orders for the sweeper (FOR UPDATE SKIP LOCKED)', `SELECT id FROM orders WHERE status = 'PENDING' LIMIT 1 FOR UPDATE SKIP LOCKED`],
    ['writes an outbox row', OUTBOX_ROW, [id()]],
    ['relays the outbox (reads payloads, locks, counts failures, forgets)', `SELECT id, topic, message_key, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`],
    ['counts a failed send', 'UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = -1', ['x']],
    ['forgets sent rows', 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', [[-1]]],
    ['records a saga step', 'INSERT INTO processed_messages (order_id, step, result) VALUES ($1, $2, $3::jsonb)', [id(), 'order.confirm', '{}']],
    ['runs a step in one round trip', "SELECT saga_step_open(41001, $1, 'order.x', '{}'::text[]), saga_expect(true, 'x'), saga_step_close($1, 'order.x', '{}'::jsonb, '[]'::jsonb)", [id()]],
    ['purges step records (retention)', 'DELETE FROM processed_messages WHERE order_id = $1', [id()]],
    ['moves the retention watermark', 'SELECT watermark_created_at FROM saga_step_retention FOR UPDATE'],
    ['moves the retention watermark (update)', 'UPDATE saga_step_retention SET watermark_created_at = watermark_created_at, updated_at = now() WHERE false'],
  ],
  inventory: [
    ['reads stock', 'SELECT sku, stock, price_cents, updated_at FROM inventory LIMIT 1'],
    ['restocks (insert or update)', `INSERT INTO inventory (sku, price_cents, stock) VALUES ($1, 1, 1) ON CONFLICT (sku) DO UPDATE SET stock = inventory.stock + EXCLUDED.stock RETURNING stock`, [`dbroles-${Date.now()}`]],
    ['locks stock rows', 'SELECT sku, stock FROM inventory LIMIT 1 FOR NO KEY UPDATE'],
    ['reserves', `INSERT INTO reservations (order_id, sku, quantity) SELECT $1::uuid, sku, 1 FROM inventory LIMIT 1 ON CONFLICT (order_id, sku) DO NOTHING`, [id()]],
    ['releases', `UPDATE reservations SET status = 'RELEASED', released_at = now() WHERE order_id = $1`, [id()]],
    ['writes an outbox row', OUTBOX_ROW, [id()]],
    ['checks for older unsent rows', 'SELECT EXISTS (SELECT 1 FROM outbox WHERE message_key = ANY($1::text[]) AND published_at IS NULL AND id < $2::bigint) AS older', [['x'], 1]],
    ['forgets sent rows', 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', [[-1]]],
    ['counts a failed send', 'UPDATE outbox o SET attempts = o.attempts + 1, last_error = $1 WHERE o.id = -1', ['x']],
    ['records steps and restock keys', 'INSERT INTO processed_messages (order_id, step, result) VALUES ($1, $2, $3::jsonb)', [id(), 'inventory.reserve', '{}']],
    ['reads recorded steps', 'SELECT step, result FROM processed_messages WHERE order_id = $1', [id()]],
    ['runs a step in one round trip', "SELECT saga_step_open(41002, $1, 'inventory.x', '{}'::text[]), saga_expect(true, 'x'), saga_step_close($1, 'inventory.x', '{}'::jsonb, '[]'::jsonb)", [id()]],
  ],
  payment: [
    ['reads the order payment token (and only that)', 'SELECT o.id IS NOT NULL AS found, o.payment_token FROM (SELECT 1) AS one LEFT JOIN orders o ON o.id = $1::uuid', [id()]],
    ['authorizes', `INSERT INTO payments (order_id, status, amount_cents, currency, authorization_id) VALUES ($1, 'AUTHORIZED', 1, 'EUR', 'a') ON CONFLICT (order_id) DO NOTHING RETURNING order_id`, [id()]],
    ['reads and locks a payment', 'SELECT * FROM payments WHERE order_id = $1 FOR UPDATE', [id()]],
    ['captures, voids, refunds', `UPDATE payments SET status = 'CAPTURED', capture_id = 'c', updated_at = now() WHERE order_id = $1`, [id()]],
    ['reads recorded steps', 'SELECT step, result FROM processed_messages WHERE order_id = $1', [id()]],
    ['records a step and its events', "SELECT saga_step_open(41003, $1, 'payment.x', '{}'::text[]), saga_expect(true, 'x'), saga_step_close($1, 'payment.x', '{}'::jsonb, jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'topic', 'payment-events', 'key', $1, 'event', '{}'::jsonb)))", [id()]],
    ['writes an outbox row (general path)', "INSERT INTO outbox (event_id, topic, message_key, payload) VALUES ($1::uuid, 'payment-events', 'k', '{}'::jsonb)", [id()]],
    ['records that a refund began', "INSERT INTO processed_messages (order_id, step) VALUES ($1, 'payment.refund-begun') ON CONFLICT (order_id, step) DO NOTHING", [id()]],
    ['forgets it with the refund', 'SELECT saga_refund_finished($1::text)', [id()]],
    ['reads the order\'s payment method and state', 'SELECT payment_method, status FROM orders WHERE id = $1::uuid', [id()]],
    ['reads the order\'s verified crypto payment', 'SELECT chain_id, tx_hash, token, payer, amount, amount_cents, currency FROM crypto_payments WHERE order_id = $1::uuid', [id()]],
    ['takes the order payment lock', 'SELECT pg_advisory_xact_lock(41003, hashtext($1::text))', [id()]],
  ],
  user: [
    ['registers', 'INSERT INTO users (id, email, password_hash, name) VALUES ($1::uuid, $2, $3, NULL) RETURNING roles, created_at', [id(), `${Date.now()}@db-roles.example`, 'x'.repeat(60)]],
    ['logs in', 'SELECT id, email, password_hash, name, roles, created_at FROM users WHERE email = $1', ['nobody@example.com']],
    ['writes an outbox row', OUTBOX_ROW, [id()]],
    ['forgets sent rows', 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', [[-1]]],
    ['counts a failed send', 'UPDATE outbox o SET attempts = o.attempts + 1, last_error = $1 WHERE o.id = -1', ['x']],
  ],
  notification: [
    ['reads a recipient address', 'SELECT email FROM users WHERE id = $1::uuid', [id()]],
    ['claims a notification', `INSERT INTO notifications (event_id, template, user_id, channel, recipient, subject, body, status) VALUES ($1, 't', 'u', 'email', 'a@b.c', 's', 'b', 'PENDING') ON CONFLICT (event_id, template) DO NOTHING RETURNING id, status, recipient, attempts`, [id()]],
    ['locks and marks it sent', 'SELECT id, status, recipient, attempts FROM notifications WHERE id = $1 FOR UPDATE', [id()]],
    ['marks it sent', "UPDATE notifications SET status = 'SENT', provider_message_id = 'm', sent_at = now(), attempts = attempts + 1 WHERE id = $1", [id()]],
  ],
  web3: [
    ['makes or finds a wallet account', `INSERT INTO wallet_accounts (address, user_id) VALUES ($1, $2::uuid) ON CONFLICT (address) DO UPDATE SET last_sign_in_at = now() RETURNING user_id, (xmax = 0) AS created`, [`0x${id().replace(/-/g, '').padEnd(40, '0')}`, id()]],
    ['reads a user\'s wallets', 'SELECT address FROM wallet_accounts WHERE user_id = $1::uuid', [id()]],
    ['reads an order\'s owner, state, method and total', 'SELECT id, user_id, status, payment_method, amount_cents, currency FROM orders WHERE id = $1::uuid', [id()]],
    ['keeps the payment watcher\'s place', `INSERT INTO chain_watch (chain_id, token, payee, last_block) VALUES (1, '0x${'1'.repeat(40)}', '0x${'2'.repeat(40)}', 5) ON CONFLICT (chain_id, token, payee) DO UPDATE SET last_block = GREATEST(chain_watch.last_block, EXCLUDED.last_block), updated_at = now()`],
    ['finds the order a payment meant (oldest waiting, else newest crypto order)', `SELECT id, created_at FROM orders WHERE user_id = $1 AND payment_method = 'crypto' AND status = 'PENDING' ORDER BY created_at, id LIMIT 1`, ['u']],
    ['sees whether the order\'s refund began', "SELECT EXISTS (SELECT 1 FROM processed_messages m WHERE m.order_id = $1::text AND m.step IN ('payment.refund-begun', 'payment.refund'))", [id()]],
    ['takes the order payment lock', 'SELECT pg_advisory_xact_lock(41003, hashtext($1::text))', [id()]],
    ['reads crypto payments', 'SELECT * FROM crypto_payments WHERE order_id = $1::uuid', [id()]],
    ['writes an outbox row', OUTBOX_ROW, [id()]],
    ['forgets sent rows', 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', [[-1]]],
    ['counts a failed send', 'UPDATE outbox o SET attempts = o.attempts + 1, last_error = $1 WHERE o.id = -1', ['x']],
  ],
};

/** Another service's tables (and platform objects), each expected to be refused with 42501. */
const CANNOT: Record<DbService, Array<[string, string, unknown[]?]>> = {
  order: [
    ['read payments', 'SELECT * FROM payments LIMIT 1'],
    ['read users', 'SELECT email FROM users LIMIT 1'],
    ['read stock levels (only the price list)', 'SELECT stock FROM inventory LIMIT 1'],
    ['change stock', 'UPDATE inventory SET stock = stock + 1 WHERE false'],
    ['read reservations', 'SELECT * FROM reservations LIMIT 1'],
    ['read notifications', 'SELECT * FROM notifications LIMIT 1'],
    ['delete orders', 'DELETE FROM orders WHERE false'],
  ],
  inventory: [
    ['read payments', 'SELECT * FROM payments LIMIT 1'],
    ['read orders', 'SELECT * FROM orders LIMIT 1'],
    ['change orders', "UPDATE orders SET status = 'CANCELLED' WHERE false"],
    ['read users', 'SELECT * FROM users LIMIT 1'],
    ['read outbox payloads', 'SELECT payload FROM outbox LIMIT 1'],
    ['delete step records', 'DELETE FROM processed_messages WHERE false'],
    ["forget another service's begun refund", "SELECT saga_refund_finished('x')"],
  ],
  payment: [
    ['change stock', 'UPDATE inventory SET stock = 0 WHERE false'],
    ['read stock', 'SELECT * FROM inventory LIMIT 1'],
    ['read the rest of an order', 'SELECT user_id, amount_cents FROM orders LIMIT 1'],
    ['change orders', 'UPDATE orders SET payment_token = NULL WHERE false'],
    ['delete step records (only its begun refunds, through saga_refund_finished)', 'DELETE FROM processed_messages WHERE false'],
    ['read users', 'SELECT * FROM users LIMIT 1'],
    ['read the outbox', 'SELECT * FROM outbox LIMIT 1'],
    ['delete outbox rows', 'DELETE FROM outbox WHERE false'],
    ['read reservations', 'SELECT * FROM reservations LIMIT 1'],
    ['change a recorded crypto payment', 'UPDATE crypto_payments SET amount = 1 WHERE false'],
    ['read wallet accounts', 'SELECT * FROM wallet_accounts LIMIT 1'],
  ],
  user: [
    ['read orders', 'SELECT * FROM orders LIMIT 1'],
    ['read payments', 'SELECT * FROM payments LIMIT 1'],
    ['read inventory', 'SELECT * FROM inventory LIMIT 1'],
    ['read step records', 'SELECT * FROM processed_messages LIMIT 1'],
    ['make someone an admin', "UPDATE users SET roles = '{customer,admin}' WHERE false"],
    ['delete accounts', 'DELETE FROM users WHERE false'],
    ['run the saga step functions', "SELECT saga_expect(true, 'x')"],
    ['read outbox payloads', 'SELECT payload FROM outbox LIMIT 1'],
  ],
  notification: [
    ['read password hashes', 'SELECT password_hash FROM users LIMIT 1'],
    ['read orders', 'SELECT * FROM orders LIMIT 1'],
    ['write the outbox', OUTBOX_ROW, [id()]],
    ['change accounts', "UPDATE users SET email = email WHERE false"],
  ],
  web3: [
    ['read an order\'s payment token', 'SELECT payment_token FROM orders LIMIT 1'],
    ['change orders', "UPDATE orders SET status = 'CONFIRMED' WHERE false"],
    ['read users', 'SELECT * FROM users LIMIT 1'],
    ['read card payments', 'SELECT * FROM payments LIMIT 1'],
    ['change a recorded crypto payment', 'UPDATE crypto_payments SET amount = 1 WHERE false'],
    ['read step results', 'SELECT result FROM processed_messages LIMIT 1'],
    ['record a saga step', "INSERT INTO processed_messages (order_id, step) VALUES ('x', 'y')"],
    ['delete a recorded crypto payment', 'DELETE FROM crypto_payments WHERE false'],
    ['move a wallet to another account', 'UPDATE wallet_accounts SET user_id = user_id WHERE false'],
    ['read outbox payloads', 'SELECT payload FROM outbox LIMIT 1'],
  ],
};

describe.each(DB_SERVICES)('svc_%s', (service) => {
  it('logs in as its own login role, a member of its group only', async () => {
    const r = await clients.get(service)!.query<{ u: string; groups: string[] }>(
      `SELECT current_user AS u, ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) ORDER BY 1) AS groups`,
    );
    expect(r.rows[0]).toEqual({ u: SERVICE_DB_ROLES[service].login, groups: [SERVICE_DB_ROLES[service].group] });
  });

  // Always three columns: with two, jest would pass its `done` callback as the third argument.
  const rows = (list: Array<[string, string, unknown[]?]>): Array<[string, string, unknown[]]> => list.map(([what, sql, values]) => [what, sql, values ?? []]);

  it.each(rows(CAN[service]))('can: %s', async (_what, sql, values) => {
    expect(await attempt(service, sql, values)).toBeUndefined();
  });

  it.each(rows(CANNOT[service]))('cannot: %s', async (_what, sql, values) => {
    expect(await attempt(service, sql, values)).toBe('42501');
  });

  it('cannot create tables, nor read or change the migrations', async () => {
    expect(await attempt(service, 'CREATE TABLE db_roles_it_mine (x int)')).toBe('42501');
    expect(await attempt(service, 'SELECT * FROM pgmigrations LIMIT 1')).toBe('42501');
    expect(await attempt(service, 'DELETE FROM pgmigrations WHERE false')).toBe('42501');
  });
});

it('the group roles cannot log in, and PUBLIC cannot run the saga step functions', async () => {
  const groups = await admin.query<{ rolname: string; rolcanlogin: boolean }>(`SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`, [DB_SERVICES.map((s) => SERVICE_DB_ROLES[s].group)]);
  expect(groups.rows).toHaveLength(DB_SERVICES.length);
  expect(groups.rows.every((g) => !g.rolcanlogin)).toBe(true);
  const fns = await admin.query<{ f: string; public: boolean }>(
    `SELECT p.proname AS f, has_function_privilege('public', p.oid, 'EXECUTE') AS public FROM pg_proc p WHERE p.proname IN ('saga_step_open', 'saga_expect', 'saga_step_close') ORDER BY 1`,
  );
  expect(fns.rows).toEqual([
    { f: 'saga_expect', public: false },
    { f: 'saga_step_close', public: false },
    { f: 'saga_step_open', public: false },
  ]);
});

describe('the local runtime', () => {
  let p: Platform | undefined;
  afterAll(async () => {
    await p?.stop();
  });

  it("runs a handler's queries as its service's role, also what it starts after returning, and the same code outside a scope as PG_URL's role", async () => {
    useServiceRoles(localServiceRoles());
    const who = async () => (await (await getPool()).query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    expect(await runAsService('payment', who)).toBe('svc_payment');
    expect(await runAsService('inventory', who)).toBe('svc_inventory');
    // Work started in the scope and finished later (a timer, a promise the handler does not await) keeps it.
    const later = await runAsService('order', () => new Promise<string>((resolve, reject) => setTimeout(() => void who().then(resolve, reject), 20)));
    expect(later).toBe('svc_order');
    expect(currentService()).toBeUndefined();
    expect(await who()).toBe(new URL(process.env.PG_URL!).username);
    // 'platform' (the migrations custom resource) is the admin; a service without a role is refused.
    expect(await runAsService('platform', who)).toBe(new URL(process.env.PG_URL!).username);
    await expect(runAsService('catalog', who)).rejects.toThrow(/service 'catalog' has no PostgreSQL role/);
  });

  it('refuses what a role may not do with 42501, which is not a transient error (never retried as one)', async () => {
    useServiceRoles(localServiceRoles());
    const err = await runAsService('payment', async () => (await getPool()).query('UPDATE inventory SET stock = stock WHERE false')).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('42501');
    expect(isTransientInfraError(err)).toBe(false);
    expect(isTransient(err as Error)).toBe(false);
  });

  it('invokes each handler in its service scope (the inventory API reads stock as svc_inventory)', async () => {
    await closePool(); // no pool left from the tests above: the one below is the handler's
    p = await startPlatform({ components: [], port: 0, awsPort: 0, executionStore: 'memory' });
    const sku = `dbroles-${Date.now()}`;
    await admin.query('INSERT INTO inventory (sku, price_cents, stock) VALUES ($1, 100, 3)', [sku]);
    const res = await p.handlers.invoke<{ statusCode: number; body: string }>('InventoryApi', {
      resource: '/inventory/{sku}',
      path: `/inventory/${sku}`,
      httpMethod: 'GET',
      headers: {},
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { sku },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'db-roles-it', stage: 'local', identity: { sourceIp: '127.0.0.1' }, resourcePath: '/inventory/{sku}', httpMethod: 'GET' },
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ sku, stock: 3 });
    // The handler made the inventory's pool (its connection kept idle) as svc_inventory.
    const pool = await runAsService('inventory', () => getPool());
    expect(pool.totalCount).toBeGreaterThanOrEqual(1);
    expect(new URL((pool.options as { connectionString: string }).connectionString).username).toBe('svc_inventory');
    expect((await pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe('svc_inventory');
    await admin.query('DELETE FROM inventory WHERE sku = $1', [sku]);
  });
});

describe('the Migrations custom resource (AWS): passwords from the service secrets', () => {
  const canLogIn = async (user: string, password: string): Promise<boolean> => {
    const u = new URL(adminUrl);
    u.username = user;
    u.password = password;
    const c = new Client({ connectionString: u.toString() });
    try {
      await c.connect();
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  afterAll(async () => {
    // Back to the local password (the runtime's).
    mockSecrets.set('arn:web3', JSON.stringify({ username: 'svc_web3', password: localPassword('svc_web3') }));
    await setServiceLoginPasswords(['arn:web3']);
  });

  it("sets each login role's password from its secret, as the admin (SCRAM verifier)", async () => {
    useServiceRoles(undefined); // the custom resource's process: one pool, the admin's
    const password = `rotated-${randomUUID()}`;
    mockSecrets.set('arn:web3', JSON.stringify({ username: 'svc_web3', password }));
    expect(await setServiceLoginPasswords(['arn:web3'])).toEqual(['svc_web3']);
    expect(await canLogIn('svc_web3', password)).toBe(true);
    expect(await canLogIn('svc_web3', localPassword('svc_web3'))).toBe(false);
    const stored = await admin.query<{ scram: boolean }>("SELECT rolpassword LIKE 'SCRAM-SHA-256$4096:%' AS scram FROM pg_authid WHERE rolname = 'svc_web3'").catch(() => undefined);
    if (stored) expect(stored.rows[0]!.scram).toBe(true); // readable by a superuser only
  });

  it('refuses a secret naming any other role (the admin, a group role)', async () => {
    mockSecrets.set('arn:admin', JSON.stringify({ username: new URL(adminUrl).username, password: 'x' }));
    mockSecrets.set('arn:group', JSON.stringify({ username: 'shop_order', password: 'x' }));
    await expect(setServiceLoginPasswords(['arn:admin'])).rejects.toThrow(/not a service login role/);
    await expect(setServiceLoginPasswords(['arn:group'])).rejects.toThrow(/not a service login role/);
    expect(await canLogIn(new URL(adminUrl).username, decodeURIComponent(new URL(adminUrl).password))).toBe(true);
  });
});
