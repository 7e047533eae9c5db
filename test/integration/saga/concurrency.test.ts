/**
 * No oversell under concurrency, end to end: 200 concurrent orders of one unit for a SKU with 50
 * in stock, through the gateway, Kafka, the saga starter and the real ASL. Exactly 50 CONFIRMED,
 * 150 CANCELLED by OutOfStockError, stock 0, never negative while it runs.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { startPlatform, type Platform } from '../../../local/runtime';
import { CARDS, RUN, apiAs, closeDb, db, migrate, newUser, platformOptions, positionGroupAtEnd, seedSku, stockOf, until } from './helpers';

jest.setTimeout(180000);

let p: Platform;
beforeAll(async () => {
  await migrate();
  await positionGroupAtEnd(`saga-starter-it-${RUN}`, ['order-created']);
  p = await startPlatform(platformOptions());
});
afterAll(async () => {
  await p?.stop();
  await closeDb();
});

it('confirms exactly 50 of 200 concurrent one-unit orders for 50 units: stock 0, never negative', async () => {
  const s = await seedSku('hot', 50, 700);
  let minStock = 50;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      minStock = Math.min(minStock, await stockOf(s));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const users = await Promise.all(Array.from({ length: 20 }, () => apiAs(p, newUser())));
  const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => users[i % 20]!.post('/orders', { items: [{ sku: s, quantity: 1 }], paymentToken: CARDS.approve })));
  expect(responses.filter((r) => r.status === 202)).toHaveLength(200);
  const ids = responses.map((r) => r.body.orderId as string);

  const rows = await until('all 200 orders terminal', async () => {
    const r = await db().query<{ status: string; cancel_error: string | null; n: string }>(
      `SELECT status, cancel_error, count(*) AS n FROM orders WHERE id = ANY($1::uuid[]) GROUP BY status, cancel_error ORDER BY status`,
      [ids],
    );
    return r.rows.some((x) => x.status !== 'CONFIRMED' && x.status !== 'CANCELLED') ? undefined : r.rows;
  }, 150000, 200);
  sampling = false;
  await sampler;

  expect(rows.map((r) => ({ status: r.status, error: r.cancel_error, n: Number(r.n) }))).toEqual([
    { status: 'CANCELLED', error: 'OutOfStockError', n: 150 },
    { status: 'CONFIRMED', error: null, n: 50 },
  ]);
  expect(await stockOf(s)).toBe(0);
  // "Never negative": the sampler is a side check (it reads every ~5 ms and could miss a moment).
  // The proof is the table's own constraint, under which no statement can commit a negative stock
  // (migrations.test.ts shows it refusing one), together with the 150 OutOfStockError cancels above.
  expect(minStock).toBeGreaterThanOrEqual(0);
  const check = await db().query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'inventory'::regclass AND conname = 'inventory_stock_check'`);
  expect(check.rows.map((r) => r.def)).toEqual(['CHECK ((stock >= 0))']);
  const held = await db().query<{ n: string; q: string }>(`SELECT count(*) AS n, sum(quantity) AS q FROM reservations WHERE sku = $1 AND status = 'RESERVED'`, [s]);
  expect(Number(held.rows[0]!.q)).toBe(50);
  const paid = await db().query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM payments WHERE order_id = ANY($1::uuid[]) GROUP BY status', [ids]);
  expect(paid.rows.map((r) => ({ status: r.status, n: Number(r.n) }))).toEqual([{ status: 'CAPTURED', n: 50 }]);
  // Every confirmed order has a captured payment; no cancelled order was charged.
  const mismatched = await db().query(
    `SELECT o.id FROM orders o LEFT JOIN payments pm ON pm.order_id = o.id WHERE o.id = ANY($1::uuid[])
     AND ((o.status = 'CONFIRMED' AND pm.status IS DISTINCT FROM 'CAPTURED') OR (o.status = 'CANCELLED' AND pm.status = 'CAPTURED'))`,
    [ids],
  );
  expect(mismatched.rows).toEqual([]);
});
