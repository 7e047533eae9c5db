import type { PoolClient } from 'pg';
import { getPool } from '../../shared/adapters/pg';
import { lockOrder } from '../../shared/idempotency';
import { isUuid } from '../../shared/uuid';
import type { OrderAtPayment } from '../domain/payment';

/** Addresses are stored in lower case (the check constraint says so); responses checksum them. */

/**
 * The account of a wallet, made on its first sign-in: one row per address, its `user_id` the JWT
 * subject (orders belong to it). Race-safe: two first sign-ins of the same wallet get the same user.
 */
export async function upsertWalletAccount(address: string, newUserId: string): Promise<{ userId: string; created: boolean }> {
  const r = await (await getPool()).query<{ user_id: string; created: boolean }>(
    `INSERT INTO wallet_accounts (address, user_id) VALUES ($1::text, $2::uuid)
     ON CONFLICT (address) DO UPDATE SET last_sign_in_at = now()
     RETURNING user_id::text, (xmax = 0) AS created`,
    [address.toLowerCase(), newUserId],
  );
  return { userId: r.rows[0]!.user_id, created: r.rows[0]!.created };
}

/** The wallets a user signed in with (lower case). */
export async function walletsOf(userId: string): Promise<Set<string>> {
  if (!isUuid(userId)) return new Set(); // a dev token's made-up subject has no wallet
  const r = await (await getPool()).query<{ address: string }>('SELECT address FROM wallet_accounts WHERE user_id = $1::uuid', [userId]);
  return new Set(r.rows.map((x) => x.address));
}

export interface PayableOrder {
  readonly id: string;
  readonly user_id: string;
  readonly status: string;
  readonly payment_method: string;
  readonly amount_cents: string;
  readonly currency: string;
}

/** The order's owner, state, payment method and total (the web3 role reads only these columns). */
export async function findOrder(orderId: string): Promise<PayableOrder | undefined> {
  const r = await (await getPool()).query<PayableOrder>('SELECT id::text, user_id, status, payment_method, amount_cents::text, currency FROM orders WHERE id = $1::uuid', [orderId]);
  return r.rows[0];
}

export interface CryptoPaymentRow {
  readonly order_id: string;
  readonly chain_id: number;
  readonly tx_hash: string;
  readonly token: string;
  readonly payer: string;
  readonly amount: string;
  readonly amount_cents: string;
  readonly currency: string;
  readonly block_number: string;
  readonly verified_at: Date;
  /** ORDER: it pays the order. REFUND_DUE: the order could not take it; announced for a payout. */
  readonly disposition: 'ORDER' | 'REFUND_DUE';
  /** Why the order could not take it (REFUND_DUE only): the refusal's code and words. */
  readonly refund_code: string | null;
  readonly refund_reason: string | null;
}

const COLUMNS = 'order_id::text, chain_id, tx_hash, token, payer, amount::text, amount_cents::text, currency, block_number::text, verified_at, disposition, refund_code, refund_reason';

/** The payment recorded for this transaction (whatever its disposition), or undefined. */
export async function findByTransaction(chainId: number, txHash: string): Promise<CryptoPaymentRow | undefined> {
  const r = await (await getPool()).query<CryptoPaymentRow>(`SELECT ${COLUMNS} FROM crypto_payments WHERE chain_id = $1::int AND tx_hash = $2::text`, [chainId, txHash.toLowerCase()]);
  return r.rows[0];
}

export interface NewCryptoPayment {
  readonly orderId: string;
  readonly chainId: number;
  readonly txHash: string;
  readonly token: string;
  readonly payer: string;
  readonly amount: bigint;
  readonly amountCents: bigint;
  readonly currency: string;
  readonly blockNumber: bigint;
}

/**
 * Inside the insert's transaction: takes the order's `payment` lock, which a refund's start takes too
 * (shared/idempotency.ts `lockOrder`), then reads the order as the payment finds it (domain/payment.ts
 * `dispose`): its method and state, whether the saga reserved its stock and began to give its money
 * back, and which transaction already pays it. After this, a refund that starts later finds the
 * payment this transaction records.
 */
export async function lockForPayment(tx: PoolClient, orderId: string): Promise<OrderAtPayment | undefined> {
  await lockOrder(tx, 'payment', orderId);
  const r = await tx.query<{ payment_method: string; status: string; reserved: boolean; refund_started: boolean; paid_by: string | null }>(
    `SELECT o.payment_method, o.status,
            EXISTS (SELECT 1 FROM processed_messages m WHERE m.order_id = $1::text AND m.step = 'inventory.reserve') AS reserved,
            EXISTS (SELECT 1 FROM processed_messages m WHERE m.order_id = $1::text AND m.step IN ('payment.refund-begun', 'payment.refund')) AS refund_started,
            (SELECT c.tx_hash FROM crypto_payments c WHERE c.order_id = o.id AND c.disposition = 'ORDER') AS paid_by
     FROM orders o WHERE o.id = $1::uuid`,
    [orderId],
  );
  const row = r.rows[0];
  return row && { paymentMethod: row.payment_method, status: row.status, reserved: row.reserved, refundStarted: row.refund_started, paidBy: row.paid_by ?? undefined };
}

/** Inserts the verified payment; a unique violation says which key was taken (see `takenKey`). */
export async function insertCryptoPayment(tx: PoolClient, p: NewCryptoPayment, refund?: { readonly code: string; readonly reason: string }): Promise<CryptoPaymentRow> {
  const r = await tx.query<CryptoPaymentRow>(
    `INSERT INTO crypto_payments (order_id, chain_id, tx_hash, token, payer, amount, amount_cents, currency, block_number, disposition, refund_code, refund_reason)
     VALUES ($1::uuid, $2::int, $3::text, $4::text, $5::text, $6::numeric, $7::bigint, $8::text, $9::bigint, $10::text, $11::text, $12::text)
     RETURNING ${COLUMNS}`,
    [p.orderId, p.chainId, p.txHash.toLowerCase(), p.token.toLowerCase(), p.payer.toLowerCase(), p.amount.toString(), p.amountCents.toString(), p.currency, p.blockNumber.toString(), refund ? 'REFUND_DUE' : 'ORDER', refund?.code ?? null, refund?.reason ?? null],
  );
  return r.rows[0]!;
}

/** Which uniqueness a failed insert hit: the transaction (recorded already) or the order (paid already, by a concurrent request). */
export function takenKey(err: unknown): 'tx' | 'order' | undefined {
  const e = err as { code?: unknown; constraint?: unknown };
  if (e?.code !== '23505') return undefined;
  if (e.constraint === 'crypto_payments_pkey') return 'tx';
  if (e.constraint === 'crypto_payments_order_key') return 'order';
  return undefined;
}

/** The last block the payment watcher finished for (chain, token, payee), or undefined before its first run. */
export async function watchedUpTo(chainId: number, token: string, payee: string): Promise<bigint | undefined> {
  const r = await (await getPool()).query<{ last_block: string }>('SELECT last_block::text FROM chain_watch WHERE chain_id = $1::int AND token = $2::text AND payee = $3::text', [chainId, token.toLowerCase(), payee.toLowerCase()]);
  return r.rows[0] ? BigInt(r.rows[0].last_block) : undefined;
}

/** Records how far the watcher got (never backwards: a slower concurrent run cannot undo a faster one). */
export async function watchedTo(chainId: number, token: string, payee: string, block: bigint): Promise<void> {
  await (await getPool()).query(
    `INSERT INTO chain_watch (chain_id, token, payee, last_block) VALUES ($1::int, $2::text, $3::text, $4::bigint)
     ON CONFLICT (chain_id, token, payee) DO UPDATE SET last_block = GREATEST(chain_watch.last_block, EXCLUDED.last_block), updated_at = now()`,
    [chainId, token.toLowerCase(), payee.toLowerCase(), block.toString()],
  );
}

/** The account of a wallet, or undefined for a wallet that never signed in. */
export async function walletOwner(address: string): Promise<string | undefined> {
  const r = await (await getPool()).query<{ user_id: string }>('SELECT user_id::text FROM wallet_accounts WHERE address = $1::text', [address.toLowerCase()]);
  return r.rows[0]?.user_id;
}

/**
 * The order a payment of this user most likely meant: the oldest crypto order still waiting for its
 * payment (PENDING), else the newest crypto order whatever its state (the verification then records
 * the payment for a refund). None when the user never ordered in crypto.
 */
export async function orderForPayment(userId: string): Promise<{ id: string; createdAt: Date } | undefined> {
  const r = await (await getPool()).query<{ id: string; created_at: Date }>(
    `(SELECT id::text, created_at, 0 AS rank FROM orders WHERE user_id = $1::text AND payment_method = 'crypto' AND status = 'PENDING' ORDER BY created_at, id LIMIT 1)
     UNION ALL
     (SELECT id::text, created_at, 1 AS rank FROM orders WHERE user_id = $1::text AND payment_method = 'crypto' ORDER BY created_at DESC, id DESC LIMIT 1)
     ORDER BY rank LIMIT 1`,
    [userId],
  );
  const row = r.rows[0];
  return row && { id: row.id, createdAt: row.created_at };
}
