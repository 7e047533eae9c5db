import { getAddress, type Hex } from 'viem';
import { withTransaction } from '../../shared/adapters/pg';
import { NotFoundError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import type { Caller } from '../../shared/http';
import { enqueue, publishNow } from '../../shared/outbox';
import type { Web3Config } from '../config';
import { chain } from '../adapters/chain';
import { findCryptoPayments, findOrder, insertCryptoPayment, lockForPayment, takenKey, walletsOf, type CryptoPaymentRow } from '../adapters/pg-web3';
import { OrderAlreadyPaidError, OrderNotPayableError, PaymentNotAcceptedError, TxAlreadyUsedError, Web3NotConfiguredError } from '../domain/errors';
import { assessPayment, currencyDigits, minorUnitsToTokenUnits } from '../domain/payment';
import { PAYMENT_EVENTS_TOPIC, WEB3_EVENT_SOURCE, type CryptoPayment, type CryptoPaymentVerified, type PaymentVerifyBody } from '../domain/schemas';

/**
 * A crypto order takes its payment while the saga waits for it (PENDING). A CONFIRMED one was paid
 * (a retry of that verification is answered from the record before this check); CONFIRMING,
 * CANCELLING and CANCELLED ones take none.
 */
const PAYABLE = new Set(['PENDING']);
const notPayable = (status: string) => new OrderNotPayableError(`the order is ${status} and takes no payment`);

/**
 * Verifies that an on-chain transaction pays one of the caller's orders, and records it.
 *
 * Answers from the record when the same transaction was verified for the same order before (no chain
 * call, the same body): the route is safe to retry. Otherwise:
 *  - the order must be the caller's (else 404, as for an order that does not exist), a crypto order
 *    still waiting for its payment (PENDING), in the token's currency, and not paid by another
 *    transaction;
 *  - the transaction must not have paid another order;
 *  - the chain must show it succeeded, with WEB3_MIN_CONFIRMATIONS, moving at least the order's total
 *    of the token to the shop's wallet, from wallets the caller signed in with (domain/payment.ts);
 *  - then, under the lock a refund's start takes, the order is read again (still PENDING, no refund
 *    begun) and the payment row and its CryptoPaymentVerified event are written in one transaction;
 *    the event is published right after the commit (the outbox relay sends it if that fails). The
 *    saga's AuthorizePayment, retrying while it waits, finds the row and the order goes on.
 * Two requests racing for the same transaction or order: the unique keys let one in; the other gets
 * the same answer as a later request would (a replay, or 409).
 */
export async function verifyPayment(config: Web3Config, caller: Caller, body: PaymentVerifyBody, hooks: { readonly onVerified?: () => void } = {}): Promise<CryptoPayment> {
  if (!config.WEB3_PAYEE_ADDRESS || !config.WEB3_TOKEN_ADDRESS) {
    throw new Web3NotConfiguredError('crypto payments', 'WEB3_PAYEE_ADDRESS and WEB3_TOKEN_ADDRESS, CDK context web3PayeeAddress and web3TokenAddress');
  }
  const payee = config.WEB3_PAYEE_ADDRESS;
  const txHash = body.txHash.toLowerCase() as Hex;
  const order = await findOrder(body.orderId);
  if (!order || order.user_id !== caller.userId) throw new NotFoundError(`order ${body.orderId} not found`);

  const known = await recorded(config, body.orderId, txHash);
  if (known) return known;
  if (order.payment_method !== 'crypto') throw new OrderNotPayableError(`the order is paid by ${order.payment_method}, not in crypto`);
  if (!PAYABLE.has(order.status)) throw notPayable(order.status);
  const currency = order.currency.trim();
  if (currency !== config.WEB3_TOKEN_CURRENCY) {
    throw new PaymentNotAcceptedError(`orderId: the order is in ${currency}; the accepted token is pegged to ${config.WEB3_TOKEN_CURRENCY}`, 'CURRENCY_MISMATCH');
  }

  const c = await chain(config);
  const token = config.WEB3_TOKEN_ADDRESS as `0x${string}`;
  const [receipt, head, decimals, wallets] = await Promise.all([c.receipt(txHash), c.blockNumber(), c.decimals(token), walletsOf(caller.userId)]);
  const amountCents = BigInt(order.amount_cents);
  const accepted = assessPayment(receipt, head, {
    chainId: config.WEB3_CHAIN_ID,
    token,
    payee,
    minConfirmations: config.WEB3_MIN_CONFIRMATIONS,
    requiredUnits: minorUnitsToTokenUnits(amountCents, currencyDigits(currency), decimals),
    callerWallets: wallets,
  });

  const data: CryptoPaymentVerified = {
    orderId: order.id,
    chainId: config.WEB3_CHAIN_ID,
    txHash,
    token: getAddress(token),
    payer: getAddress(accepted.payer),
    amount: accepted.amount.toString(),
    amountCents: Number(amountCents),
    currency,
    blockNumber: Number(accepted.blockNumber),
  };
  const event = envelope({ type: 'CryptoPaymentVerified', source: WEB3_EVENT_SOURCE, orderId: order.id, data });
  let out;
  try {
    out = await withTransaction(async (tx) => {
      const now = await lockForPayment(tx, order.id);
      if (!now || !PAYABLE.has(now.status)) throw notPayable(now?.status ?? 'gone');
      if (now.refundStarted) throw new OrderNotPayableError('the order is being compensated (its payment window ran out, or a step failed)');
      const row = await insertCryptoPayment(tx, { ...data, amount: accepted.amount, amountCents, blockNumber: accepted.blockNumber });
      const rows = await enqueue(tx, [{ topic: PAYMENT_EVENTS_TOPIC, key: order.id, event }]);
      return { row, rows };
    });
  } catch (err) {
    if (!takenKey(err)) throw err;
    // Another request got there first: answer as if this one came after it.
    const raced = await recorded(config, body.orderId, txHash);
    if (raced) return raced;
    throw err;
  }
  hooks.onVerified?.();
  await publishNow(out.rows);
  return toPayment(out.row);
}

/** The earlier verification of this transaction for this order; a 409 when either is taken otherwise. */
async function recorded(config: Web3Config, orderId: string, txHash: string): Promise<CryptoPayment | undefined> {
  const { byTx, byOrder } = await findCryptoPayments(config.WEB3_CHAIN_ID, txHash, orderId);
  if (byTx) {
    if (byTx.order_id === orderId) return toPayment(byTx);
    throw new TxAlreadyUsedError();
  }
  if (byOrder) throw new OrderAlreadyPaidError(byOrder.tx_hash);
  return undefined;
}

function toPayment(r: CryptoPaymentRow): CryptoPayment {
  return {
    orderId: r.order_id,
    chainId: r.chain_id,
    txHash: r.tx_hash,
    token: getAddress(r.token),
    payer: getAddress(r.payer),
    amount: r.amount,
    amountCents: Number(r.amount_cents),
    currency: r.currency.trim(),
    blockNumber: Number(r.block_number),
    verifiedAt: r.verified_at.toISOString(),
  };
}
