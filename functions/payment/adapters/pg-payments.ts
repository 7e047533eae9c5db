import type { PoolClient } from 'pg';
import { getPool, withTransaction } from '../../shared/adapters/pg';
import type { PaymentRecord, PaymentStatus } from '../domain/schemas';
import { lockOrder, type StepBody } from '../../shared/idempotency';

type Row = { order_id: string; status: PaymentStatus; amount_cents: string; currency: string; authorization_id: string; capture_id: string | null; refund_id: string | null };
const toRecord = (r: Row): PaymentRecord => ({
  orderId: r.order_id,
  status: r.status,
  amountCents: Number(r.amount_cents),
  currency: r.currency,
  authorizationId: r.authorization_id,
  captureId: r.capture_id,
  refundId: r.refund_id,
});

export async function findPayment(orderId: string, tx?: PoolClient, forUpdate = false): Promise<PaymentRecord | undefined> {
  const q = `SELECT * FROM payments WHERE order_id = $1${forUpdate ? ' FOR UPDATE' : ''}`;
  const r = await (tx ?? (await getPool())).query<Row>(q, [orderId]);
  return r.rows[0] && toRecord(r.rows[0]);
}

/**
 * The authorize step's statement (its runStepOnce body): the AUTHORIZED payment row. Returns the
 * order id when it inserted, nothing when the order already has a payment (a replay, rolled back).
 */
export function insertAuthorizationStatement(p: { orderId: string; amountCents: number; currency: string; authorizationId: string }): StepBody {
  return {
    text: `INSERT INTO payments (order_id, status, amount_cents, currency, authorization_id) VALUES ($1::uuid, 'AUTHORIZED', $2::bigint, $3::text, $4::text)
           ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
    values: [p.orderId, p.amountCents, p.currency, p.authorizationId],
  };
}

/** The authorize statement for the step's normal path (runStepOnce's `normal`): raises SG002 unless it inserted the payment. */
export function insertAuthorizationNormalStatement(p: { orderId: string; amountCents: number; currency: string; authorizationId: string }): StepBody {
  const b = insertAuthorizationStatement(p);
  return { text: `WITH i AS (${b.text}) SELECT saga_expect(count(*) = 1, 'payment.authorize: the order has a payment already') AS ok FROM i`, values: b.values };
}

/** The capture statement for the step's normal path: raises SG002 unless it captured an AUTHORIZED payment. */
export function captureNormalStatement(orderId: string, captureId: string): StepBody {
  const b = captureStatement(orderId, captureId);
  return { text: `WITH u AS (${b.text}) SELECT saga_expect(count(*) = 1, 'payment.capture: no AUTHORIZED payment') AS ok FROM u`, values: b.values };
}

/** The capture step's statement (its runStepOnce body): AUTHORIZED -> CAPTURED; returns the row it changed. */
export function captureStatement(orderId: string, captureId: string): StepBody {
  return {
    text: `UPDATE payments SET status = 'CAPTURED', capture_id = $2::text, updated_at = now() WHERE order_id = $1::uuid AND status = 'AUTHORIZED' RETURNING order_id`,
    values: [orderId, captureId],
  };
}

export async function setStatus(tx: PoolClient, orderId: string, status: PaymentStatus, ids: { captureId?: string; refundId?: string } = {}): Promise<void> {
  await tx.query('UPDATE payments SET status = $2, capture_id = COALESCE($3, capture_id), refund_id = COALESCE($4, refund_id), updated_at = now() WHERE order_id = $1', [
    orderId,
    status,
    ids.captureId ?? null,
    ids.refundId ?? null,
  ]);
}

/** The payment of an order and the steps recorded for it, in one read (no lock: the fast path before a provider call). */
export async function paymentAndSteps(orderId: string): Promise<{ payment: PaymentRecord | undefined; steps: Map<string, unknown> }> {
  const r = await (await getPool()).query<Partial<Row> & { steps: Array<{ step: string; result: unknown }> | null }>(
    `SELECT p.*, (SELECT json_agg(json_build_object('step', m.step, 'result', m.result)) FROM processed_messages m WHERE m.order_id = $1::text) AS steps
     FROM (SELECT 1) AS one LEFT JOIN payments p ON p.order_id = $1::uuid`,
    [orderId],
  );
  const row = r.rows[0];
  return {
    payment: row?.order_id ? toRecord(row as Row) : undefined,
    steps: new Map((row?.steps ?? []).map((x) => [x.step, x.result])),
  };
}

/**
 * What the authorize step needs before it calls the provider, in one read (no lock): whether the
 * order exists, its payment token (the payment service reads it from the order's row; it is not in
 * the saga's input or in any event; NULL once the order is CONFIRMED or CANCELLED) and the steps
 * recorded for it. The payment service's only read of `orders`.
 */
export async function authorizationContext(orderId: string): Promise<{ orderFound: boolean; status: string | null; paymentMethod: string | null; paymentToken: string | null; steps: Map<string, unknown> }> {
  const r = await (await getPool()).query<{ found: boolean; status: string | null; payment_method: string | null; payment_token: string | null; steps: Array<{ step: string; result: unknown }> | null }>(
    `SELECT o.id IS NOT NULL AS found, o.status, o.payment_method, o.payment_token,
            (SELECT json_agg(json_build_object('step', m.step, 'result', m.result)) FROM processed_messages m WHERE m.order_id = $1::text) AS steps
     FROM (SELECT 1) AS one LEFT JOIN orders o ON o.id = $1::uuid`,
    [orderId],
  );
  const row = r.rows[0];
  return { orderFound: row?.found === true, status: row?.status ?? null, paymentMethod: row?.payment_method ?? null, paymentToken: row?.payment_token ?? null, steps: new Map((row?.steps ?? []).map((x) => [x.step, x.result])) };
}

/** Records a step with an empty result (once: a repeat changes nothing). Its own statement, committed before the caller goes on. */
export async function recordStep(orderId: string, step: string): Promise<void> {
  await (await getPool()).query('INSERT INTO processed_messages (order_id, step) VALUES ($1::text, $2::text) ON CONFLICT (order_id, step) DO NOTHING', [orderId, step]);
}

/**
 * Deletes the order's `payment.refund-begun` record, in the caller's transaction when given, through
 * `saga_refund_finished` (migration 1765600000000): the payment role may delete that record and no
 * other step record.
 */
export async function forgetRefundBegun(orderId: string, tx?: PoolClient): Promise<void> {
  await (tx ?? (await getPool())).query('SELECT saga_refund_finished($1::text)', [orderId]);
}

/** Recorded steps of an order, read without a lock (the replay fast path before a provider call). */
export async function doneSteps(orderId: string): Promise<Map<string, unknown>> {
  const r = await (await getPool()).query<{ step: string; result: unknown }>('SELECT step, result FROM processed_messages WHERE order_id = $1', [orderId]);
  return new Map(r.rows.map((x) => [x.step, x.result]));
}

/** A verified on-chain payment that pays an order (the web3 service's record, disposition ORDER; migration 1765800000000). */
export interface CryptoPaymentRecord {
  readonly chainId: number;
  readonly txHash: string;
  readonly token: string;
  readonly payer: string;
  /** Token base units, a decimal string. */
  readonly amount: string;
  readonly amountCents: number;
  readonly currency: string;
}

const CRYPTO_COLUMNS = 'chain_id, tx_hash, token, payer, amount::text, amount_cents::text, currency';
type CryptoRow = { chain_id: number; tx_hash: string; token: string; payer: string; amount: string; amount_cents: string; currency: string };
const toCrypto = (r: CryptoRow | undefined): CryptoPaymentRecord | undefined =>
  r && { chainId: r.chain_id, txHash: r.tx_hash, token: r.token, payer: r.payer, amount: r.amount, amountCents: Number(r.amount_cents), currency: r.currency.trim() };

export async function findCryptoPayment(orderId: string): Promise<CryptoPaymentRecord | undefined> {
  const r = await (await getPool()).query<CryptoRow>(`SELECT ${CRYPTO_COLUMNS} FROM crypto_payments WHERE order_id = $1::uuid AND disposition = 'ORDER'`, [orderId]);
  return toCrypto(r.rows[0]);
}

/**
 * Begins a refund: records `payment.refund-begun` (write-ahead, before any provider call; skipped when
 * already there) and reads the order's crypto payment, in one transaction under the order's `payment`
 * lock, which a crypto payment's verification takes too (shared/idempotency.ts `lockOrder`): a refund
 * that began first makes the verification record the payment for a refund; a payment recorded first
 * is found here and given back.
 */
export async function beginRefund(orderId: string, recordBegun: boolean): Promise<{ paymentMethod: string | undefined; crypto: CryptoPaymentRecord | undefined }> {
  return withTransaction(async (tx) => {
    await lockOrder(tx, 'payment', orderId);
    if (recordBegun) await tx.query('INSERT INTO processed_messages (order_id, step) VALUES ($1::text, $2::text) ON CONFLICT (order_id, step) DO NOTHING', [orderId, 'payment.refund-begun']);
    const r = await tx.query<CryptoRow & { payment_method: string }>(
      `SELECT o.payment_method, ${CRYPTO_COLUMNS.split(', ').map((c) => `c.${c}`).join(', ')}
       FROM orders o LEFT JOIN crypto_payments c ON c.order_id = o.id AND c.disposition = 'ORDER' WHERE o.id = $1::uuid`,
      [orderId],
    );
    const row = r.rows[0];
    return { paymentMethod: row?.payment_method, crypto: row?.tx_hash ? toCrypto(row) : undefined };
  });
}
