import type { PoolClient } from 'pg';
import { getPool } from '../../shared/adapters/pg';
import type { Shortage } from '../domain/errors';
import { MAX_STOCK, type Line, type Stock } from '../domain/schemas';
import type { StepBody } from '../../shared/idempotency';

/**
 * PostgreSQL adapter of the inventory. Stock never goes below zero: ONE statement locks the rows in
 * SKU order (no deadlocks between multi-line orders), checks every line against the locked stock,
 * and only when all lines are known and in stock decrements them and writes the reservations
 * (all-or-nothing); otherwise it changes nothing and returns the offending lines. The table's
 * CHECK (stock >= 0) is the last line of defence.
 *
 * Read committed: `l` returns the latest committed version of each row and locks it; the UPDATE in
 * `u` then follows the row to that same version (we hold its lock), so the check and the decrement
 * see the same stock. The lock is FOR NO KEY UPDATE (what the UPDATE itself takes), not FOR UPDATE:
 * the key never changes, and FOR UPDATE would also block the foreign-key checks (FOR KEY SHARE) of
 * every order and reservation insert for the SKU until this step commits, serialising order intake
 * behind reservations on a popular SKU.
 *
 * The statement is the body of the reserve step (see runStepOnce): it runs in the round trip that
 * takes the order's lock, before the step knows whether it already ran, so on a replay (its
 * reservations exist: ON CONFLICT DO NOTHING) it must not fail; the step then rolls it back.
 * `reserveOutcome` reads its rows.
 */
const RESERVE_CTES = `WITH v AS (SELECT * FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS v(sku, q, n)),
          l AS MATERIALIZED (SELECT sku, stock FROM inventory WHERE sku = ANY($2::text[]) ORDER BY sku FOR NO KEY UPDATE),
          c AS MATERIALIZED (SELECT v.sku, v.q, v.n, l.stock FROM v LEFT JOIN l ON l.sku = v.sku),
          ok AS MATERIALIZED (SELECT NOT EXISTS (SELECT 1 FROM c WHERE c.stock IS NULL OR c.stock < c.q) AS ok),
          u AS (UPDATE inventory i SET stock = i.stock - c.q, updated_at = now() FROM c, ok WHERE ok.ok AND i.sku = c.sku RETURNING i.sku),
          r AS (INSERT INTO reservations (order_id, sku, quantity) SELECT $1::uuid, c.sku, c.q FROM c, ok WHERE ok.ok ORDER BY c.n ON CONFLICT (order_id, sku) DO NOTHING)`;
const reserveValues = (orderId: string, lines: readonly Line[]) => [orderId, lines.map((l) => l.sku), lines.map((l) => l.quantity)];

export function reserveStatement(orderId: string, lines: readonly Line[]): StepBody {
  return { text: `${RESERVE_CTES}
     SELECT c.sku, c.q, c.stock FROM c WHERE c.stock IS NULL OR c.stock < c.q ORDER BY c.n`, values: reserveValues(orderId, lines) };
}

/** The same statement for the step's normal path (runStepOnce's `normal`): raises SG002 unless every line was reserved. */
export function reserveNormalStatement(orderId: string, lines: readonly Line[]): StepBody {
  return { text: `${RESERVE_CTES}
     SELECT saga_expect((SELECT ok FROM ok), 'inventory.reserve: a line is unknown or out of stock') AS ok`, values: reserveValues(orderId, lines) };
}

export type ReserveRow = { sku: string; q: number; stock: number | null };

/** The reserve statement's rows: the lines it refused (none: everything was reserved). */
export function reserveOutcome(rows: readonly ReserveRow[]): { unknown: string[]; shortages: Shortage[] } {
  return {
    unknown: rows.filter((r) => r.stock === null).map((r) => r.sku),
    shortages: rows.filter((r) => r.stock !== null).map((r) => ({ sku: r.sku, requested: r.q, available: r.stock! })),
  };
}

/**
 * The body of the release step (runStepOnce): gives back every still-reserved line of the order in
 * one statement (the reservations and their SKU rows locked in SKU order, the stock added back,
 * the reservations marked RELEASED) and returns what it released (no rows: nothing was reserved,
 * or a replay).
 */
export function releaseStatement(orderId: string): StepBody {
  return {
    text: `WITH held AS MATERIALIZED (
            SELECT r.sku, r.quantity FROM reservations r JOIN inventory i ON i.sku = r.sku
            WHERE r.order_id = $1::uuid AND r.status = 'RESERVED' ORDER BY r.sku FOR NO KEY UPDATE OF r, i),
          u AS (UPDATE inventory i SET stock = i.stock + h.quantity, updated_at = now() FROM held h WHERE i.sku = h.sku RETURNING i.sku),
          r AS (UPDATE reservations r SET status = 'RELEASED', released_at = now() FROM held h WHERE r.order_id = $1::uuid AND r.sku = h.sku RETURNING r.sku)
     SELECT sku, quantity FROM held ORDER BY sku`,
    values: [orderId],
  };
}

export type AddStockOutcome = { readonly stock: number; readonly priceCents: number; readonly updatedAt: Date } | 'unknown-sku' | 'over-max';

/**
 * Adds stock; creates the SKU when a price is given. 'unknown-sku': the SKU is new and no price was
 * given. 'over-max': the total would pass MAX_STOCK (the column is an integer); nothing changed.
 *
 * The limit is a guard in the statement, not a read before it: the UPDATE re-checks it on the row
 * version it locks (read committed follows a concurrent restock to its result), so two restocks
 * that fit alone but not together cannot both pass. It is written `stock <= max - quantity` because
 * `stock + quantity <= max` would itself overflow (22003) on the very rows it is there to refuse.
 */
export async function addStock(tx: PoolClient, sku: string, quantity: number, priceCents: number | undefined): Promise<AddStockOutcome> {
  type Row = { stock: number; price_cents: string; updated_at: Date; over_max: boolean };
  const r =
    priceCents === undefined
      ? // No row from `u`: the SKU is unknown or the guard refused. The second branch tells which
        // (same snapshot as `u`: it sees the row when `u` could have); a SKU created after the
        // snapshot reads as unknown, as it did before the guard existed.
        await tx.query<Row>(
          `WITH u AS (UPDATE inventory SET stock = stock + $2::int, updated_at = now() WHERE sku = $1::text AND stock <= $3::int - $2::int RETURNING stock, price_cents, updated_at)
           SELECT stock, price_cents, updated_at, false AS over_max FROM u
           UNION ALL
           SELECT stock, price_cents, updated_at, true FROM inventory WHERE sku = $1::text AND NOT EXISTS (SELECT 1 FROM u)`,
          [sku, quantity, MAX_STOCK],
        )
      : // The insert cannot overflow (quantity <= MAX_STOCK); with a conflict and the guard false
        // ON CONFLICT DO UPDATE returns no row, which here can only mean over the maximum.
        await tx.query<Row>(
          `INSERT INTO inventory (sku, price_cents, stock) VALUES ($1, $3, $2)
           ON CONFLICT (sku) DO UPDATE SET stock = inventory.stock + EXCLUDED.stock, price_cents = EXCLUDED.price_cents, updated_at = now()
             WHERE inventory.stock <= $4::int - EXCLUDED.stock
           RETURNING stock, price_cents, updated_at, false AS over_max`,
          [sku, quantity, priceCents, MAX_STOCK],
        );
  const row = r.rows[0];
  if (!row) return priceCents === undefined ? 'unknown-sku' : 'over-max';
  if (row.over_max) return 'over-max';
  return { stock: row.stock, priceCents: Number(row.price_cents), updatedAt: row.updated_at };
}

export async function readStock(sku: string): Promise<Stock | undefined> {
  const r = await (await getPool()).query<{ sku: string; stock: number; price_cents: string; updated_at: Date }>('SELECT sku, stock, price_cents, updated_at FROM inventory WHERE sku = $1', [sku]);
  const row = r.rows[0];
  return row && { sku: row.sku, stock: row.stock, priceCents: Number(row.price_cents), updatedAt: row.updated_at.toISOString() };
}
