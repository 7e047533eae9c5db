/** The schema migrations on the real PostgreSQL: the same code `npm start`, the tests and the CDK custom resource run. */
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpoints } from '../../../local/engines/endpoints';
import { handler, migrationsDir, runMigrations } from '../../../functions/platform/migrations';
import { closePool } from '../../../functions/shared/adapters/pg';
import { closeDb, db, sku } from './helpers';

jest.setTimeout(60000);
beforeAll(() => {
  process.env.PG_URL ??= endpoints().pgUrl;
});
afterAll(async () => {
  await closePool();
  await closeDb();
});

describe('migrations', () => {
  it('are idempotent: a second run applies nothing', async () => {
    await runMigrations();
    expect(await runMigrations()).toEqual([]);
    const applied = await db().query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on');
    expect(applied.rows.map((r) => r.name)).toContain('1764000000000_order-saga-schema');
  });

  it('answers the custom resource Create and Update with a physical id, and keeps the data on Delete', async () => {
    const base = { ServiceToken: 'x', ResponseURL: 'x', StackId: 's', RequestId: 'r', LogicalResourceId: 'Migrations', ResourceType: 'Custom::Migrations', ResourceProperties: { ServiceToken: 'x' } };
    const created = await handler({ ...base, RequestType: 'Create' });
    expect(created).toEqual({ PhysicalResourceId: 'shop-postgres-migrations', Data: { applied: '' } });
    const updated = await handler({ ...base, RequestType: 'Update', PhysicalResourceId: 'shop-postgres-migrations', OldResourceProperties: { ServiceToken: 'x' } });
    expect(updated.PhysicalResourceId).toBe('shop-postgres-migrations');
    await handler({ ...base, RequestType: 'Delete', PhysicalResourceId: 'shop-postgres-migrations' });
    expect((await db().query("SELECT to_regclass('public.orders') AS t")).rows[0].t).toBe('orders');
  });

  it('rejects negative stock at the database (CHECK stock >= 0)', async () => {
    const s = sku('check');
    await db().query('INSERT INTO inventory (sku, price_cents, stock) VALUES ($1, 1, 0) ON CONFLICT (sku) DO UPDATE SET stock = 0', [s]);
    await expect(db().query('UPDATE inventory SET stock = stock - 1 WHERE sku = $1', [s])).rejects.toThrow(/inventory_stock_check/);
  });

  it('accepts CONFIRMING as an order status and rejects an unknown one (CHECK orders_status_check)', async () => {
    const id = '00000000-0000-4000-8000-' + Date.now().toString(16).padStart(12, '0').slice(-12);
    await db().query(`INSERT INTO orders (id, user_id, status, amount_cents, currency, payment_token) VALUES ($1, 'migrations-it', 'CONFIRMING', 0, 'EUR', 't')`, [id]);
    try {
      expect((await db().query('SELECT status, saga_restarts, saga_checked_at FROM orders WHERE id = $1', [id])).rows).toEqual([{ status: 'CONFIRMING', saga_restarts: 0, saga_checked_at: null }]);
      await expect(db().query(`UPDATE orders SET status = 'SHIPPED' WHERE id = $1`, [id])).rejects.toThrow(/orders_status_check/);
      const applied = await db().query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on, id');
      expect(applied.rows.map((r) => r.name)).toContain('1764700000000_order-cancelling'); expect(applied.rows.map((r) => r.name)).toContain('1764600000000_order-confirming-and-sweeper');
    } finally {
      await db().query('DELETE FROM orders WHERE id = $1', [id]);
    }
  });

  it('1764900000000 deletes the outbox rows already published, keeps the unsent ones, and drops the partial index the relay no longer needs', async () => {
    // Its SQL on a copy of the outbox as deployed before it, in a schema of its own (other test
    // files use the real outbox meanwhile).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const migration = require('../../../migrations/1764900000000_outbox-delete-on-publish.js') as { up(pgm: { sql(s: string): void }): void };
    const sql: string[] = [];
    migration.up({ sql: (x) => void sql.push(x) });
    const schema = `mig_it_${process.pid}`;
    const c = await db().connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; SET search_path = ${schema};
        CREATE TABLE outbox (LIKE public.outbox INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
        CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;`);
      await c.query(
        `INSERT INTO outbox (event_id, topic, message_key, payload, published_at)
         VALUES (gen_random_uuid(), 'order-created', 'k', '{"type":"Sent"}', now()), (gen_random_uuid(), 'order-created', 'k', '{"type":"Unsent"}', NULL)`,
      );
      for (const x of sql) await c.query(x);
      expect((await c.query("SELECT payload->>'type' AS type FROM outbox")).rows).toEqual([{ type: 'Unsent' }]);
      expect((await c.query(`SELECT to_regclass('${schema}.outbox_unpublished') AS i`)).rows[0].i).toBeNull();
    } finally {
      await c.query(`RESET search_path; DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      c.release();
    }
    // And the real database has it.
    const applied = await db().query<{ name: string }>('SELECT name FROM pgmigrations');
    expect(applied.rows.map((r) => r.name)).toContain('1764900000000_outbox-delete-on-publish');
    expect((await db().query("SELECT to_regclass('public.outbox_unpublished') AS i")).rows[0].i).toBeNull();
  });

  it('1765000000000 runs outside the transaction, so its BRIN index is built CONCURRENTLY; a build left invalid is rebuilt on the next run', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const migration = require('../../../migrations/1765000000000_saga-step-record-retention.js') as { up(pgm: { sql(s: string): void; noTransaction(): void }): void };
    const sql: string[] = [];
    let noTransaction = false;
    migration.up({ sql: (x) => void sql.push(x), noTransaction: () => void (noTransaction = true) });
    expect(noTransaction).toBe(true);
    // Each statement goes alone: CREATE INDEX CONCURRENTLY refuses a transaction block, and several
    // statements in one query are one.
    expect(sql.find((x) => /CONCURRENTLY orders_created_brin ON orders USING brin \(created_at\)/.test(x))).toBeDefined();
    const schema = `mig_brin_it_${process.pid}`;
    const c = await db().connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; SET search_path = ${schema};
        CREATE TABLE orders (LIKE public.orders INCLUDING DEFAULTS);
        INSERT INTO orders (id, user_id, status, amount_cents, currency, payment_token, created_at)
        SELECT gen_random_uuid(), 'u', 'CONFIRMED', 1, 'EUR', 't', '2026-01-01' FROM generate_series(1, 2);`);
      // What an interrupted CREATE INDEX CONCURRENTLY leaves: an index of that name marked invalid
      // (here a unique build that met duplicates).
      await expect(c.query('CREATE UNIQUE INDEX CONCURRENTLY orders_created_brin ON orders (created_at)')).rejects.toThrow(/could not create unique index/);
      expect((await c.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = '${schema}.orders_created_brin'::regclass`)).rows).toEqual([{ indisvalid: false }]);
      for (const x of sql) await c.query(x);
      const idx = await c.query(`SELECT i.indisvalid, am.amname FROM pg_index i JOIN pg_class k ON k.oid = i.indexrelid JOIN pg_am am ON am.oid = k.relam WHERE i.indexrelid = '${schema}.orders_created_brin'::regclass`);
      expect(idx.rows).toEqual([{ indisvalid: true, amname: 'brin' }]);
      // Each range summarized once the next starts filling (an unsummarized one matches every window).
      expect((await c.query(`SELECT reloptions FROM pg_class WHERE oid = '${schema}.orders_created_brin'::regclass`)).rows).toEqual([{ reloptions: ['autosummarize=on'] }]);
      expect((await c.query('SELECT watermark_created_at FROM saga_step_retention')).rows).toEqual([{ watermark_created_at: -Infinity }]);
      // Run again (as after a crash before it was recorded): nothing doubled, nothing refused.
      for (const x of sql) await c.query(x);
      expect((await c.query('SELECT count(*)::int AS n FROM saga_step_retention')).rows[0].n).toBe(1);
    } finally {
      await c.query(`RESET search_path; DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      c.release();
    }
    // And the real database has it, valid, through runMigrations' single transaction.
    const applied = await db().query<{ name: string }>('SELECT name FROM pgmigrations');
    expect(applied.rows.map((r) => r.name)).toContain('1765000000000_saga-step-record-retention');
    expect((await db().query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.orders_created_brin'::regclass")).rows).toEqual([{ indisvalid: true }]);
  });

  it('looks in the explicit folder, then MIGRATIONS_DIR, then next to the bundle or the repo', () => {
    const explicit = mkdtempSync(join(tmpdir(), 'mig-'));
    const fromEnv = mkdtempSync(join(tmpdir(), 'mig-env-'));
    const saved = process.env.MIGRATIONS_DIR;
    try {
      process.env.MIGRATIONS_DIR = fromEnv;
      expect(migrationsDir(explicit)).toBe(explicit);
      expect(migrationsDir()).toBe(fromEnv);
      delete process.env.MIGRATIONS_DIR;
      expect(migrationsDir('/nope')).toBe(join(__dirname, '../../../migrations'));
    } finally {
      if (saved === undefined) delete process.env.MIGRATIONS_DIR;
      else process.env.MIGRATIONS_DIR = saved;
    }
  });
});
