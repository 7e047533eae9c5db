import type { PoolClient } from 'pg';
import { getPool, unprepared, withTransaction } from '../../shared/adapters/pg';
import type { OrderStatus, OrderView, PaymentMethod } from '../domain/schemas';
import type { StepBody } from '../../shared/idempotency';
import { isUuid } from '../../shared/uuid';

/** PostgreSQL adapter of the order service. */
export interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  amount_cents: string;
  currency: string;
  /** The customer's provider token; NULL once the order is CONFIRMED or CANCELLED (nothing needs it then), and always for a crypto order. */
  payment_token: string | null;
  payment_method: PaymentMethod;
  request_hash: string | null;
  cancel_error: string | null;
  cancel_cause: string | null;
  /** Executions the sweeper started after the first one ended without a terminal order. */
  saga_restarts: number;
  /** When the sweeper last looked at the order. */
  saga_checked_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export async function findByIdempotencyKey(userId: string, key: string, tx?: PoolClient): Promise<OrderRow | undefined> {
  const r = await (tx ?? (await getPool())).query<OrderRow>('SELECT * FROM orders WHERE user_id = $1 AND idempotency_key = $2', [userId, key]);
  return r.rows[0];
}

export interface NewOrder {
  readonly id: string;
  readonly userId: string;
  readonly currency: string;
  /** @default 'card' */
  readonly paymentMethod?: PaymentMethod;
  /** The card token; null for a crypto order. */
  readonly paymentToken: string | null;
  readonly idempotencyKey: string | undefined;
  readonly requestHash: string;
  readonly items: ReadonlyArray<{ sku: string; quantity: number }>;
}

/**
 * Inserts the order, its lines and its outbox row in ONE statement (atomic without an explicit
 * transaction, one round trip), prices included: each line gets the inventory's current price, the
 * amount is their sum, and the outbox payload (an envelope whose data.items / data.amountCents are
 * filled here) gets the priced lines and the amount. When a SKU is unknown nothing is written. Returns the unit price of each line
 * in line order (null: unknown SKU) and the outbox row id (undefined when nothing was written:
 * an unknown SKU, or another request with the same idempotency key won).
 */
export async function insertOrder(
  o: NewOrder,
  outbox: { eventId: string; topic: string; payload: unknown },
): Promise<{ unitPriceCents: Array<number | null>; outboxId: string | undefined }> {
  const r = await (await getPool()).query<{ outbox_id: string | null; prices: Array<string | number | null> | null }>(
    `WITH v AS (SELECT * FROM unnest($7::text[], $8::int[]) WITH ORDINALITY AS v(sku, q, n)),
     pr AS MATERIALIZED (SELECT v.sku, v.q, v.n, inv.price_cents AS p FROM v LEFT JOIN inventory inv ON inv.sku = v.sku),
     ok AS MATERIALIZED (SELECT NOT EXISTS (SELECT 1 FROM pr WHERE pr.p IS NULL) AS ok, (SELECT sum(pr.q * pr.p) FROM pr)::bigint AS amount),
     o AS (
       INSERT INTO orders (id, user_id, status, amount_cents, currency, payment_token, idempotency_key, request_hash, payment_method)
       SELECT $1, $2, 'PENDING', ok.amount, $3, $4, $5, $6, $12 FROM ok WHERE ok.ok
       ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id),
     i AS (
       INSERT INTO order_items (order_id, sku, quantity, unit_price_cents)
       SELECT o.id, pr.sku, pr.q, pr.p FROM o, pr ORDER BY pr.n),
     ob AS (
       INSERT INTO outbox (event_id, topic, message_key, payload)
       SELECT $9, $10, o.id::text,
              jsonb_set(jsonb_set($11::jsonb, '{data,items}',
                                  (SELECT jsonb_agg(jsonb_build_object('sku', pr.sku, 'quantity', pr.q, 'unitPriceCents', pr.p) ORDER BY pr.n) FROM pr)),
                        '{data,amountCents}', to_jsonb(ok.amount))
       FROM o, ok RETURNING id)
     SELECT (SELECT id FROM ob) AS outbox_id, (SELECT json_agg(pr.p::text ORDER BY pr.n) FROM pr) AS prices`,
    [
      o.id,
      o.userId,
      o.currency,
      o.paymentToken,
      o.idempotencyKey ?? null,
      o.requestHash,
      o.items.map((i) => i.sku),
      o.items.map((i) => i.quantity),
      outbox.eventId,
      outbox.topic,
      JSON.stringify(outbox.payload),
      o.paymentMethod ?? 'card',
    ],
  );
  const row = r.rows[0];
  const id = row?.outbox_id;
  return { unitPriceCents: (row?.prices ?? []).map((p) => (p == null ? null : Number(p))), outboxId: id == null ? undefined : String(id) };
}

export async function lockOrder(tx: PoolClient, id: string): Promise<OrderRow | undefined> {
  const r = await tx.query<OrderRow>('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [id]);
  return r.rows[0];
}

/** The order's row, locked (the body of CancelOrder: runStepOnce). */
export function lockOrderStatement(id: string): StepBody {
  return { text: 'SELECT * FROM orders WHERE id = $1::uuid FOR UPDATE', values: [id] };
}

/**
 * The body of BeginConfirmation (runStepOnce): locks the order and moves it PENDING -> CONFIRMING in
 * one statement; returns the order as it was before (its status decides the step: a PENDING order
 * moved; any other was left as it is). The step rolls the move back when it refuses.
 */
export function beginConfirmationStatement(id: string): StepBody {
  return {
    text: `WITH o AS MATERIALIZED (SELECT id, status, cancel_error FROM orders WHERE id = $1::uuid FOR UPDATE),
          u AS (UPDATE orders SET status = 'CONFIRMING', updated_at = now() FROM o WHERE orders.id = o.id AND o.status = 'PENDING' RETURNING orders.id)
     SELECT o.id, o.status, o.cancel_error, (SELECT count(*) FROM u)::int AS moved FROM o`,
    values: [id],
  };
}

/** The pivot's statement for its normal path (runStepOnce's `normal`): raises SG002 unless it moved a PENDING order to CONFIRMING. */
export function beginConfirmationNormalStatement(id: string): StepBody {
  return {
    text: `WITH u AS (UPDATE orders SET status = 'CONFIRMING', updated_at = now() WHERE id = $1::uuid AND status = 'PENDING' RETURNING id)
     SELECT saga_expect(count(*) = 1, 'order.begin-confirmation: the order is not PENDING') AS ok FROM u`,
    values: [id],
  };
}

/**
 * ConfirmOrder's statement for its normal path: raises SG002 unless it moved a CONFIRMING order to
 * CONFIRMED whose user, amount and currency are the ones given (the OrderCompleted event the step
 * enqueues with it is built from them).
 */
export function confirmNormalStatement(o: { id: string; userId: string; amountCents: number; currency: string }): StepBody {
  const b = confirmStatement(o.id);
  return {
    text: `WITH u AS (${b.text})
     SELECT saga_expect(count(*) = 1 AND bool_and(user_id = $2::text AND amount_cents = $3::bigint AND trim(currency) = $4::text), 'order.confirm: the order is not CONFIRMING, or not the one given') AS ok FROM u`,
    values: [...b.values, o.userId, o.amountCents, o.currency],
  };
}

/** The body of ConfirmOrder (runStepOnce): CONFIRMING -> CONFIRMED in one statement; no row when the order is missing or not CONFIRMING. */
export function confirmStatement(id: string): StepBody {
  return { text: `UPDATE orders SET status = 'CONFIRMED', payment_token = NULL, updated_at = now() WHERE id = $1::uuid AND status = 'CONFIRMING' RETURNING *`, values: [id] };
}

/** An order the sweeper claimed: not terminal, older than the threshold, not looked at within it. */
export interface SweepCandidate {
  readonly id: string;
  readonly status: OrderStatus;
  readonly sagaRestarts: number;
}

/**
 * Claims the orders PENDING, CONFIRMING or CANCELLING whose last change and last sweep are older than
 * `minAgeSeconds`, and stamps `saga_checked_at` (one statement; SKIP LOCKED, so two sweepers never
 * take the same order and an order a saga step holds is left for the next run). Two parts:
 *  - up to `limit` orders the sweeper has not given up on, never looked at first (an order whose
 *    order-created was lost), then the one looked at longest ago, then the oldest: an order it keeps
 *    leaving alone (RUNNING for hours) waits its turn instead of taking a slot every run;
 *  - up to `stuckLimit` orders whose restarts are used up (`saga_restarts >= maxRestarts`, looked at
 *    before), longest ago first. They are only reported (SagaStuck), so they get a small quota of
 *    their own: taken with the others, oldest first, a batch of them took every slot of every run
 *    and a newer order was never started; left out, the SagaStuck alarm would stop firing. One never
 *    looked at is never stuck (with `maxRestarts` 0 its first start is still due).
 * Both follow the partial index `orders_sweep (saga_checked_at NULLS FIRST, updated_at, id)`
 * (migration 1765100000000): an index walk that stops at the limit, also with many orders waiting.
 *  - up to `stuckLimit` CONFIRMED orders whose refund began (`payment.refund-begun`) and was never
 *    recorded, the begin older than `minAgeSeconds`: ConfirmOrder committed but the saga saw it fail
 *    (a lost answer), compensated, and died in RefundPayment after the provider may have refunded.
 *    CONFIRMED is terminal, so nothing else would look at them again; the sweeper finishes their
 *    compensations. The begun record is deleted with the refund's own record (payments.ts), so the
 *    partial index `processed_messages_refund_begun` (migration 1765600000000) holds only unfinished
 *    refunds and this part reads a handful of rows.
 */
export async function claimUnsettledOrders(minAgeSeconds: number, limit: number, stuck: { maxRestarts: number; stuckLimit: number }): Promise<SweepCandidate[]> {
  const r = await (await getPool()).query<{ id: string; status: OrderStatus; saga_restarts: number }>(
    `WITH due AS (
       SELECT id FROM orders
       WHERE status IN ('PENDING', 'CONFIRMING', 'CANCELLING')
         AND updated_at < now() - make_interval(secs => $1)
         AND (saga_checked_at IS NULL OR saga_checked_at < now() - make_interval(secs => $1))
         AND (saga_restarts < $3 OR saga_checked_at IS NULL)
       ORDER BY saga_checked_at NULLS FIRST, updated_at, id
       LIMIT $2
       FOR UPDATE SKIP LOCKED),
     stuck AS (
       SELECT id FROM orders
       WHERE status IN ('PENDING', 'CONFIRMING', 'CANCELLING')
         AND updated_at < now() - make_interval(secs => $1)
         AND saga_checked_at < now() - make_interval(secs => $1)
         AND saga_restarts >= $3
       ORDER BY saga_checked_at NULLS FIRST, updated_at, id
       LIMIT $4
       FOR UPDATE SKIP LOCKED),
     unfinished AS (
       SELECT o.id FROM processed_messages b
       JOIN orders o ON o.id = (CASE WHEN b.order_id ~ '^[0-9a-fA-F-]{36}$' THEN b.order_id::uuid END)
       WHERE b.step = 'payment.refund-begun'
         AND b.processed_at < now() - make_interval(secs => $1)
         AND o.status = 'CONFIRMED'
         AND (o.saga_checked_at IS NULL OR o.saga_checked_at < now() - make_interval(secs => $1))
       ORDER BY o.saga_checked_at NULLS FIRST, b.processed_at
       LIMIT $4
       FOR UPDATE OF o SKIP LOCKED)
     UPDATE orders o SET saga_checked_at = now() FROM (SELECT id FROM due UNION ALL SELECT id FROM stuck UNION ALL SELECT id FROM unfinished) c WHERE o.id = c.id
     RETURNING o.id, o.status, o.saga_restarts`,
    [minAgeSeconds, limit, stuck.maxRestarts, stuck.stuckLimit],
  );
  return r.rows.map((x) => ({ id: x.id, status: x.status, sagaRestarts: x.saga_restarts })).sort((a, b) => a.id.localeCompare(b.id));
}

export async function orderStatus(id: string): Promise<OrderStatus | undefined> {
  const r = await (await getPool()).query<{ status: OrderStatus }>('SELECT status FROM orders WHERE id = $1', [id]);
  return r.rows[0]?.status;
}

/** Counts a restart; false when another sweeper counted it first. */
export async function recordSagaRestart(id: string, from: number): Promise<boolean> {
  const r = await (await getPool()).query('UPDATE orders SET saga_restarts = $2 + 1 WHERE id = $1 AND saga_restarts = $2', [id, from]);
  return (r.rowCount ?? 0) === 1;
}

/** Whether any saga step of the order is recorded (processed_messages; its primary key leads with order_id). */
export async function hasRecordedSteps(id: string): Promise<boolean> {
  const pool = await getPool();
  return (await pool.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM processed_messages WHERE order_id = $1) AS any', [id])).rows[0]!.any;
}

/** The saga input of an order (the OrderCreated data), rebuilt from its rows. */
export async function sagaInputOf(id: string): Promise<{ orderId: string; userId: string; items: Array<{ sku: string; quantity: number; unitPriceCents: number }>; amountCents: number; currency: string } | undefined> {
  const pool = await getPool();
  const o = await pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  const row = o.rows[0];
  if (!row) return undefined;
  const items = await pool.query<{ sku: string; quantity: number; unit_price_cents: string }>('SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = $1 ORDER BY sku', [id]);
  return {
    orderId: row.id,
    userId: row.user_id,
    items: items.rows.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPriceCents: Number(i.unit_price_cents) })),
    amountCents: Number(row.amount_cents),
    currency: row.currency.trim(),
  };
}

/** Sets the status (and the cancel reason when given); a CONFIRMED or CANCELLED order forgets its payment token. */
export async function setStatus(tx: PoolClient, id: string, status: OrderStatus, reason?: { error: string; cause: string }): Promise<void> {
  const text = `UPDATE orders SET status = $2::text, payment_token = CASE WHEN $2::text IN ('CONFIRMED', 'CANCELLED') THEN NULL ELSE payment_token END,
     cancel_error = COALESCE($3, cancel_error), cancel_cause = COALESCE($4, cancel_cause), updated_at = now() WHERE id = $1`;
  await tx.query(text, [
    id,
    status,
    reason?.error ?? null,
    reason?.cause ?? null,
  ]);
}

function view(row: OrderRow, items: OrderView['items']): OrderView {
  return {
    orderId: row.id,
    status: row.status,
    items,
    amountCents: Number(row.amount_cents),
    currency: row.currency.trim(),
    paymentMethod: row.payment_method ?? 'card',
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...((row.status === 'CANCELLED' || row.status === 'CANCELLING') && row.cancel_error ? { failure: { error: row.cancel_error, cause: row.cancel_cause ?? '' } } : {}),
  };
}

export async function getOrderView(id: string): Promise<(OrderView & { userId: string }) | undefined> {
  const pool = await getPool();
  const r = await pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
  const row = r.rows[0];
  if (!row) return undefined;
  const items = await pool.query<{ sku: string; quantity: number; unit_price_cents: string }>('SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = $1 ORDER BY sku', [id]);
  return { ...view(row, items.rows.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPriceCents: Number(i.unit_price_cents) }))), userId: row.user_id };
}

/** Keyset pagination on (created_at, id), newest first; `cursorTs` keeps created_at's microseconds. */
export async function listOrders(
  userId: string,
  limit: number,
  after?: { ts: string; id: string },
): Promise<Array<Omit<OrderView, 'items'> & { cursorTs: string }>> {
  const cols = `*, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts`;
  const pool = await getPool();
  const r = after
    ? await pool.query<OrderRow & { cursor_ts: string }>(
        `SELECT ${cols} FROM orders WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
        [userId, after.ts, after.id, limit],
      )
    : await pool.query<OrderRow & { cursor_ts: string }>(`SELECT ${cols} FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [userId, limit]);
  return r.rows.map((row) => {
    const { items: _items, ...rest } = view(row, []);
    return { ...rest, cursorTs: row.cursor_ts };
  });
}

/** One window of the step-record retention (see use-cases/purge-step-records.ts). */
export interface StepRecordPurge {
  /** The window of order creation times looked at: [from, to); from is null before the first window (the watermark at -infinity). */
  readonly from: Date | null;
  readonly to: Date;
  /** Orders created in the window. */
  readonly orders: number;
  /** Step records deleted, and the orders they belonged to. */
  readonly records: number;
  readonly purgedOrders: number;
  /** Orders of the window whose records were kept: not terminal, or changed within the retention. */
  readonly kept: string[];
  /** The window ended at the retention's cutoff: nothing older is left to look at. */
  readonly caughtUp: boolean;
}

/**
 * Deletes the step records (`processed_messages`) of the orders created in the next window of
 * `windowSeconds` behind the watermark (`saga_step_retention`), when the order is terminal and
 * unchanged for `retentionDays`, and moves the watermark to the window's end. One transaction: the
 * watermark row is locked first (two runs never take the same window), then one statement finds the
 * window's orders through the BRIN index on `created_at`, deletes their records by primary key and
 * moves the watermark. That statement gets the window's bounds as values and is planned at each call
 * (`unprepared`): with bounds it cannot see (a generic plan, or bounds read in the same statement)
 * PostgreSQL guesses a ninth of the table and hash-joins the whole of `processed_messages`
 * (measured: 2.1 s against a few ms on 1 M orders).
 */
export async function purgeStepRecords(retentionDays: number, windowSeconds: number): Promise<StepRecordPurge> {
  return withTransaction(async (tx) => {
    const w = await tx.query<{ lo: string; hi: string; cutoff: string; lo_date: Date | number; hi_date: Date; cutoff_date: Date }>(
      unprepared(
        `SELECT lo::text, hi::text, cutoff::text, lo AS lo_date, hi AS hi_date, cutoff AS cutoff_date FROM (
           SELECT s.watermark_created_at AS lo,
                  LEAST(CASE WHEN s.watermark_created_at = '-infinity'
                             THEN coalesce((SELECT min(created_at) FROM orders), now() - make_interval(days => $1))
                             ELSE s.watermark_created_at END + make_interval(secs => $2),
                        now() - make_interval(days => $1)) AS hi,
                  now() - make_interval(days => $1) AS cutoff
           FROM saga_step_retention s FOR UPDATE) w`,
        [retentionDays, windowSeconds],
      ),
    );
    const win = w.rows[0];
    if (!win) throw new Error('saga_step_retention has no row: migration 1765000000000_saga-step-record-retention has not run');
    const r = await tx.query<{ orders: string; records: string; purged_orders: string; kept: string[] }>(
      unprepared(
        `WITH batch AS (
           SELECT id, (status IN ('CONFIRMED', 'CANCELLED') AND updated_at < $3::timestamptz
                       -- an unfinished refund's records stay: the sweeper finds it by them
                       AND NOT EXISTS (SELECT 1 FROM processed_messages x WHERE x.order_id = orders.id::text AND x.step = 'payment.refund-begun')) AS done
           FROM orders WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz),
         del AS (
           DELETE FROM processed_messages m USING batch b WHERE b.done AND m.order_id = b.id::text
           RETURNING m.order_id),
         moved AS (
           UPDATE saga_step_retention SET watermark_created_at = $2::timestamptz, updated_at = now()
           WHERE $2::timestamptz > $1::timestamptz RETURNING 1)
         SELECT (SELECT count(*) FROM batch) AS orders,
                (SELECT count(*) FROM del) AS records,
                (SELECT count(DISTINCT order_id) FROM del) AS purged_orders,
                (SELECT coalesce(array_agg(id::text ORDER BY id), '{}') FROM batch WHERE NOT done) AS kept,
                (SELECT count(*) FROM moved) AS moved`,
        [win.lo, win.hi, win.cutoff],
      ),
    );
    const row = r.rows[0]!;
    return {
      from: win.lo_date instanceof Date ? win.lo_date : null, // node-postgres reads -infinity as -Infinity
      to: win.hi_date,
      orders: Number(row.orders),
      records: Number(row.records),
      purgedOrders: Number(row.purged_orders),
      kept: row.kept,
      caughtUp: win.hi_date.getTime() >= win.cutoff_date.getTime(),
    };
  });
}


/** Whether the user signed in with a wallet (the web3 service's wallet_accounts; a dev token's subject has none). */
export async function hasWallet(userId: string): Promise<boolean> {
  if (!isUuid(userId)) return false;
  const r = await (await getPool()).query<{ yes: boolean }>('SELECT EXISTS (SELECT 1 FROM wallet_accounts WHERE user_id = $1::uuid) AS yes', [userId]);
  return r.rows[0]?.yes === true;
}
