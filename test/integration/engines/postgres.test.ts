/**
 * PostgreSQL through the project's adapter (functions/shared/adapters/pg.ts): a row lock taken with
 * SELECT ... FOR UPDATE serializes two concurrent transactions.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { closePool, getPool, withTransaction } from '../../../functions/shared/adapters/pg';

const table = `engines_it_stock_${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  const pool = await getPool();
  await pool.query(`CREATE TABLE ${table} (sku text PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0))`);
  await pool.query(`INSERT INTO ${table} VALUES ('sku-1', 10)`);
});

afterAll(async () => {
  await (await getPool()).query(`DROP TABLE IF EXISTS ${table}`);
  await closePool();
});

/** Resolves once another session is waiting on a row lock (seen in pg_stat_activity). */
async function waitUntilBlocked(appName: string): Promise<void> {
  const observer = new Client({ connectionString: process.env.PG_URL });
  await observer.connect();
  try {
    for (;;) {
      const r = await observer.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND state = 'active'`,
        [appName],
      );
      if (r.rowCount) return;
      await new Promise((res) => setTimeout(res, 20));
    }
  } finally {
    await observer.end();
  }
}

describe('PostgreSQL (adapter pg.ts)', () => {
  it('serializes two transactions on SELECT ... FOR UPDATE: the second waits for the first to commit and sees its write', async () => {
    const events: string[] = [];
    let releaseA!: () => void;
    const aMayCommit = new Promise<void>((r) => (releaseA = r));
    let aLocked!: () => void;
    const aHasLock = new Promise<void>((r) => (aLocked = r));

    const a = withTransaction(async (c) => {
      const r = await c.query<{ qty: number }>(`SELECT qty FROM ${table} WHERE sku = 'sku-1' FOR UPDATE`);
      events.push(`A locked qty=${r.rows[0]!.qty}`);
      aLocked();
      await aMayCommit;
      await c.query(`UPDATE ${table} SET qty = qty - 3 WHERE sku = 'sku-1'`);
      events.push('A commits');
    });

    await aHasLock;
    const appB = `engines-it-b-${randomUUID().slice(0, 8)}`;
    const b = withTransaction(async (c) => {
      await c.query(`SET application_name = '${appB}'`);
      const r = await c.query<{ qty: number }>(`SELECT qty FROM ${table} WHERE sku = 'sku-1' FOR UPDATE`);
      events.push(`B locked qty=${r.rows[0]!.qty}`);
      await c.query(`UPDATE ${table} SET qty = qty - 4 WHERE sku = 'sku-1'`);
      await c.query(`SET application_name = ''`);
    });

    // B is really blocked on A's row lock (not merely slow) before A is allowed to commit.
    await waitUntilBlocked(appB);
    events.push('B is waiting on the lock');
    releaseA();
    await Promise.all([a, b]);

    expect(events).toEqual(['A locked qty=10', 'B is waiting on the lock', 'A commits', 'B locked qty=7']);
    const final = await (await getPool()).query<{ qty: number }>(`SELECT qty FROM ${table} WHERE sku = 'sku-1'`);
    expect(final.rows[0]!.qty).toBe(3); // no lost update: 10 - 3 - 4
  });

  it('throws when a NOWAIT lock is asked for a row another transaction holds (lock_not_available)', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = withTransaction(async (c) => {
      await c.query(`SELECT 1 FROM ${table} WHERE sku = 'sku-1' FOR UPDATE`);
      locked();
      await hold;
    });
    await isLocked;
    const attempt = withTransaction((c) => c.query(`SELECT 1 FROM ${table} WHERE sku = 'sku-1' FOR UPDATE NOWAIT`));
    await expect(attempt).rejects.toMatchObject({ code: '55P03' });
    release();
    await holder;
  });

  it('rolls back everything when the transaction body throws', async () => {
    const pool = await getPool();
    const before = (await pool.query<{ qty: number }>(`SELECT qty FROM ${table} WHERE sku = 'sku-1'`)).rows[0]!.qty;
    await expect(
      withTransaction(async (c) => {
        await c.query(`UPDATE ${table} SET qty = qty - 1 WHERE sku = 'sku-1'`);
        await c.query(`UPDATE ${table} SET qty = -1 WHERE sku = 'sku-1'`); // violates CHECK (qty >= 0)
      }),
    ).rejects.toMatchObject({ code: '23514' });
    const after = (await pool.query<{ qty: number }>(`SELECT qty FROM ${table} WHERE sku = 'sku-1'`)).rows[0]!.qty;
    expect(after).toBe(before);
  });
});
