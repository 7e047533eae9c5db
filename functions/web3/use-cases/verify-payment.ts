import { getAddress, type Hex } from 'viem';
import { withTransaction } from '../../shared/adapters/pg';
import { NotFoundError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import type { Caller } from '../../shared/http';
import { enqueue, publishNow } from '../../shared/outbox';
import type { Web3Config } from '../config';
import { chain } from '../adapters/chain';
import { findByTransaction, findOrder, insertCryptoPayment, lockForPayment, takenKey, walletsOf, type CryptoPaymentRow } from '../adapters/pg-web3';
import { OrderAlreadyPaidError, OrderNotPayableError, OrderNotReadyError, PaymentNotAcceptedError, TxAlreadyUsedError, UnderpaidError, Web3NotConfiguredError } from '../domain/errors';
import { assessPayment, currencyDigits, dispose, minorUnitsToTokenUnits, type Disposition } from '../domain/payment';
import { PAYMENT_EVENTS_TOPIC, WEB3_EVENT_SOURCE, type CryptoPayment, type CryptoPaymentVerified, type PaymentVerifyBody } from '../domain/schemas';

export interface VerifyHooks {
  /** A payment recorded now as paying its order (not a replay): the metric. */
  readonly onVerified?: () => void;
  /** A payment recorded now for a refund (not a replay): the metric. */
  readonly onRefundDue?: () => void;
}

/**
 * Verifies that an on-chain transaction paid one of the caller's orders, and records it.
 *
 * A retry of a recorded transaction is answered from its record, with no chain call: 200 with the
 * same body when it pays the order, the same refusal when it was recorded for a refund. Otherwise:
 *  - the order must be the caller's (else 404, as for an order that does not exist) and in the
 *    token's currency;
 *  - the chain must show the transaction succeeded, with WEB3_MIN_CONFIRMATIONS, moving the token to
 *    the shop's wallet from wallets the caller signed in with (domain/payment.ts `assessPayment`):
 *    anything else is not the caller's money to the shop, and nothing is recorded;
 *  - then, under the lock a refund's start takes, the order is read as the payment finds it and
 *    `dispose` decides: the payment pays the order (CryptoPaymentVerified; the saga's AuthorizePayment,
 *    retrying while it waits, finds it), or the saga has not reserved the stock yet (409
 *    ORDER_NOT_READY, nothing recorded), or the order cannot take it (a card order, not PENDING,
 *    compensating, already paid, or the transfer is short): the payment is recorded for a refund and
 *    announced (CryptoRefundDue) in the same transaction, and the answer is the refusal, saying so.
 * Two requests racing for the same transaction or order: the unique keys let one in; the other gets
 * the answer a later request would get.
 */
export async function verifyPayment(config: Web3Config, caller: Caller, body: PaymentVerifyBody, hooks: VerifyHooks = {}): Promise<CryptoPayment> {
  if (!config.WEB3_PAYEE_ADDRESS || !config.WEB3_TOKEN_ADDRESS) {
    throw new Web3NotConfiguredError('crypto payments', 'WEB3_PAYEE_ADDRESS and WEB3_TOKEN_ADDRESS, CDK context web3PayeeAddress and web3TokenAddress');
  }
  const payee = config.WEB3_PAYEE_ADDRESS;
  const token = config.WEB3_TOKEN_ADDRESS as `0x${string}`;
  const txHash = body.txHash.toLowerCase() as Hex;
  const order = await findOrder(body.orderId);
  if (!order || order.user_id !== caller.userId) throw new NotFoundError(`order ${body.orderId} not found`);

  const known = await findByTransaction(config.WEB3_CHAIN_ID, txHash);
  if (known) return replay(known, order.id);
  const currency = order.currency.trim();
  if (currency !== config.WEB3_TOKEN_CURRENCY) {
    throw new PaymentNotAcceptedError(`orderId: the order is in ${currency}; the accepted token is pegged to ${config.WEB3_TOKEN_CURRENCY}`, 'CURRENCY_MISMATCH');
  }

  const c = await chain(config);
  const [receipt, head, decimals, wallets] = await Promise.all([c.receipt(txHash), c.blockNumber(), c.decimals(token), walletsOf(caller.userId)]);
  const paid = assessPayment(receipt, head, { chainId: config.WEB3_CHAIN_ID, token, payee, minConfirmations: config.WEB3_MIN_CONFIRMATIONS, callerWallets: wallets });
  const amountCents = BigInt(order.amount_cents);
  const requiredUnits = minorUnitsToTokenUnits(amountCents, currencyDigits(currency), decimals);

  const data: CryptoPaymentVerified = {
    orderId: order.id,
    chainId: config.WEB3_CHAIN_ID,
    txHash,
    token: getAddress(token),
    payer: getAddress(paid.payer),
    amount: paid.amount.toString(),
    amountCents: Number(amountCents),
    currency,
    blockNumber: Number(paid.blockNumber),
  };
  let out: { row: CryptoPaymentRow; rows: Awaited<ReturnType<typeof enqueue>>; disposition: Disposition };
  try {
    out = await withTransaction(async (tx) => {
      const now = await lockForPayment(tx, order.id);
      if (!now) throw new NotFoundError(`order ${order.id} not found`);
      const disposition = dispose(now, paid.amount, requiredUnits);
      if (disposition.kind === 'wait') throw new OrderNotReadyError();
      const refund = disposition.kind === 'refund' ? disposition : undefined;
      const row = await insertCryptoPayment(tx, { ...data, amount: paid.amount, amountCents, blockNumber: paid.blockNumber }, refund);
      const event =
        refund === undefined
          ? envelope({ type: 'CryptoPaymentVerified', source: WEB3_EVENT_SOURCE, orderId: order.id, data })
          : envelope({ type: 'CryptoRefundDue', source: WEB3_EVENT_SOURCE, orderId: order.id, data: { ...data, reason: refund.reason } });
      const rows = await enqueue(tx, [{ topic: PAYMENT_EVENTS_TOPIC, key: order.id, event }]);
      return { row, rows, disposition };
    });
  } catch (err) {
    if (!takenKey(err)) throw err;
    // Another request recorded this transaction, or a payment of this order, first: answer as a later request would.
    const raced = await findByTransaction(config.WEB3_CHAIN_ID, txHash);
    if (raced) return replay(raced, order.id);
    return verifyPayment(config, caller, body, hooks);
  }
  (out.disposition.kind === 'order' ? hooks.onVerified : hooks.onRefundDue)?.();
  await publishNow(out.rows);
  if (out.disposition.kind === 'refund') throw refusal(out.disposition);
  return toPayment(out.row);
}

/** The answer a recorded transaction gets again. */
function replay(known: CryptoPaymentRow, orderId: string): CryptoPayment {
  if (known.order_id !== orderId) throw new TxAlreadyUsedError();
  if (known.disposition === 'ORDER') return toPayment(known);
  throw refusal({ kind: 'refund', code: known.refund_code as RefundCode, reason: known.refund_reason ?? '' });
}

type RefundCode = Extract<Disposition, { kind: 'refund' }>['code'];
function refusal(d: Extract<Disposition, { kind: 'refund' }>): Error {
  if (d.code === 'UNDERPAID') return new UnderpaidError(d.reason);
  if (d.code === 'ORDER_ALREADY_PAID') return new OrderAlreadyPaidError(d.reason);
  return new OrderNotPayableError(d.reason);
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

