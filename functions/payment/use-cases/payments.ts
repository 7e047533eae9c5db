import { NotFoundError, TransientError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import { runStepOnce } from '../../shared/idempotency';
import { authorizationContext, beginRefund, captureNormalStatement, captureStatement, findCryptoPayment, findPayment, insertAuthorizationNormalStatement, insertAuthorizationStatement, forgetRefundBegun, paymentAndSteps, setStatus, type CryptoPaymentRecord } from '../adapters/pg-payments';
import { CryptoOrderCancelledError, CryptoPaymentMismatchError, CryptoPaymentPendingError, PaymentCompensatedError, PaymentNotAuthorizedError, PaymentTokenGoneError } from '../domain/errors';
import type { PaymentProvider } from '../domain/provider';
import { PAYMENT_EVENT_SOURCE, PAYMENT_TOPIC, type AuthorizeInputT } from '../domain/schemas';

/**
 * Payment use cases. Each is idempotent on (order id, step) twice over: the provider call carries
 * the idempotency key `${orderId}:${step}` (same answer for a repeated call), and the result is
 * recorded in processed_messages in the same transaction as the payment row and its outbox event.
 */
export const AUTHORIZE_STEP = 'payment.authorize';
export const CAPTURE_STEP = 'payment.capture';
export const REFUND_STEP = 'payment.refund';
/**
 * The provider idempotency key of RefundPayment's void (of an authorization, or of whatever the
 * authorize key may hold), apart from its refund's (`payment.refund`): a real provider answers a
 * key's first request again for any later request with that key (or refuses a key reused for
 * another operation), so a refund retried after a void that found the payment captured meanwhile
 * (two executions of one order) must not carry the void's key, or it would get the void's answer
 * and no refund.
 */
const VOID_KEY_STEP = 'payment.void';
/**
 * Recorded by RefundPayment before it calls the provider (write-ahead): from then on the saga has
 * started giving the money back, even if the refund's own record never lands (the process dies, or an
 * operator stops the execution, between the provider's answer and the record). Authorize and capture
 * refuse after it as after a recorded refund, so no restart can go on to confirm an order whose
 * refund may have reached the provider; its RefundPayment repeats the call under the same
 * idempotency key and gets the same refund. Deleted when the refund is recorded, so a begun record
 * means an unfinished refund (the sweeper finishes those of CONFIRMED orders).
 */
export const REFUND_BEGUN_STEP = 'payment.refund-begun';
const REFUND_STEPS = [REFUND_STEP, REFUND_BEGUN_STEP];
const refundStarted = (done: ReadonlyMap<string, unknown>) => REFUND_STEPS.some((s) => done.has(s));
const key = (orderId: string, step: string) => `${orderId}:${step}`;
/**
 * A crypto order's authorization and capture ids: `crypto:<transaction hash>`. The money is settled on
 * chain when the payment is verified, so there is nothing to hold or capture at a provider.
 */
export const CRYPTO_ID_PREFIX = 'crypto:';
const isCrypto = (authorizationId: string | undefined) => authorizationId?.startsWith(CRYPTO_ID_PREFIX) === true;

export interface PaymentDeps {
  readonly provider: PaymentProvider;
  /** Called once per crypto payment announced for a payout (a replayed refund does not call it): the metric. */
  readonly onCryptoRefundDue?: () => void;
}

const paymentEvent = (type: string, orderId: string, data: unknown) => ({ topic: PAYMENT_TOPIC, key: orderId, event: envelope({ type, source: PAYMENT_EVENT_SOURCE, orderId, data }) });

/**
 * Authorizes the order's amount with the token from the order's row (the saga's input has none).
 * One read first: a recorded authorize is answered from its record, and one after a refund is
 * refused, both without calling the provider; an order that has finished has no token any more.
 */
export async function authorizePayment(deps: PaymentDeps, input: Omit<AuthorizeInputT, 'action'>): Promise<{ authorizationId: string }> {
  const ctx = await authorizationContext(input.orderId);
  if (refundStarted(ctx.steps)) throw new PaymentCompensatedError(input.orderId);
  if (ctx.steps.has(AUTHORIZE_STEP)) return ctx.steps.get(AUTHORIZE_STEP) as { authorizationId: string };
  if (!ctx.orderFound) throw new NotFoundError(`order ${input.orderId} not found`);
  let authorizationId: string;
  if (ctx.paymentMethod === 'crypto') {
    // A customer cancel while the saga waits for the payment ends the wait (nothing else would for
    // the rest of the window: the verification refuses a CANCELLING order).
    if (ctx.status === 'CANCELLING' || ctx.status === 'CANCELLED') throw new CryptoOrderCancelledError(input.orderId);
    authorizationId = await cryptoAuthorization(input);
  } else {
    if (ctx.paymentToken === null) throw new PaymentTokenGoneError(input.orderId);
    ({ authorizationId } = await deps.provider.authorize({ idempotencyKey: key(input.orderId, AUTHORIZE_STEP), amountCents: input.amountCents, currency: input.currency, paymentToken: ctx.paymentToken }));
  }
  let result: { authorizationId: string };
  try {
    const row = { orderId: input.orderId, amountCents: input.amountCents, currency: input.currency, authorizationId };
    const event = paymentEvent('PaymentAuthorized', input.orderId, { orderId: input.orderId, authorizationId, amountCents: input.amountCents, currency: input.currency });
    const normal = { body: insertAuthorizationNormalStatement(row), conflicts: REFUND_STEPS, result: { authorizationId }, outbox: [event] };
    ({ result } = await runStepOnce({ ns: 'payment', orderId: input.orderId, step: AUTHORIZE_STEP, body: insertAuthorizationStatement(row), normal }, async ({ rows, done: now, enqueue }) => {
      if (refundStarted(now)) throw new PaymentCompensatedError(input.orderId);
      if (rows.length === 0) throw new Error(`order ${input.orderId} has a payment but no recorded authorize step`);
      enqueue(event);
      return normal.result;
    }));
  } catch (err) {
    // The saga compensated this order between the read above and this step (a late duplicate): release the hold just made, then fail.
    // (A crypto payment is not held anywhere: the refund that compensated found it and gave it back.)
    if (err instanceof PaymentCompensatedError && !isCrypto(authorizationId)) await deps.provider.void({ idempotencyKey: key(input.orderId, 'payment.void-late'), authorizationId, authorizeKey: key(input.orderId, AUTHORIZE_STEP) });
    throw err;
  }
  return { authorizationId: result.authorizationId };
}

/**
 * A crypto order's authorization: its payment verified on chain (the web3 service's record). None yet
 * is CryptoPaymentPendingError, which the state machine retries for the payment window.
 */
async function cryptoAuthorization(input: Omit<AuthorizeInputT, 'action'>): Promise<string> {
  const paid = await findCryptoPayment(input.orderId);
  if (!paid) throw new CryptoPaymentPendingError(input.orderId);
  if (paid.currency !== input.currency) throw new CryptoPaymentMismatchError(input.orderId, `is in ${paid.currency}, the order in ${input.currency}`);
  if (paid.amountCents < input.amountCents) throw new CryptoPaymentMismatchError(input.orderId, `covers ${paid.amountCents} of ${input.amountCents} cents`);
  return `${CRYPTO_ID_PREFIX}${paid.txHash}`;
}

/**
 * Captures the authorization; idempotent on (order id, capture). A repeat of a recorded capture is
 * refused once a refund is recorded or has begun (`payment.refund-begun`): the saga would go on to
 * confirm an order whose money went back. A first capture is refused only by a recorded refund:
 * when a refund has begun but not finished (another execution of the order compensating at the same
 * time), the capture commits, and that refund, finding the payment changed under it, retries and
 * refunds the capture (refusing here instead would leave money captured at the provider that no
 * step gives back).
 */
export async function capturePayment(deps: PaymentDeps, input: { orderId: string }): Promise<{ captureId: string }> {
  const { payment, steps: done } = await paymentAndSteps(input.orderId);
  if (done.has(REFUND_STEP)) throw new PaymentCompensatedError(input.orderId);
  if (done.has(CAPTURE_STEP)) {
    if (refundStarted(done)) throw new PaymentCompensatedError(input.orderId);
    return done.get(CAPTURE_STEP) as { captureId: string };
  }
  if (!payment) throw new PaymentNotAuthorizedError(input.orderId);
  // A crypto payment was settled on chain when it was verified: its capture is the same transaction.
  const { captureId } = isCrypto(payment.authorizationId)
    ? { captureId: payment.authorizationId }
    : await deps.provider.capture({ idempotencyKey: key(input.orderId, CAPTURE_STEP), authorizationId: payment.authorizationId, amountCents: payment.amountCents });
  const event = paymentEvent('PaymentCaptured', input.orderId, { orderId: input.orderId, captureId, amountCents: payment.amountCents, currency: payment.currency });
  const normal = { body: captureNormalStatement(input.orderId, captureId), conflicts: [REFUND_STEP], result: { captureId }, outbox: [event] };
  const replay = (stored: { captureId: string }, now: ReadonlyMap<string, unknown>) => {
    if (refundStarted(now)) throw new PaymentCompensatedError(input.orderId); // refunded (or begun) since the read above
    return stored;
  };
  const { result } = await runStepOnce({ ns: 'payment', orderId: input.orderId, step: CAPTURE_STEP, body: captureStatement(input.orderId, captureId), normal, replay }, async ({ rows, done: now, enqueue }) => {
    if (now.has(REFUND_STEP)) throw new PaymentCompensatedError(input.orderId);
    if (rows.length === 0) throw new PaymentNotAuthorizedError(input.orderId); // no AUTHORIZED payment to capture
    enqueue(event);
    return normal.result;
  });
  return result;
}

export type RefundOutcome =
  | { status: 'REFUNDED'; refundId: string }
  | { status: 'VOIDED'; voidId: string }
  | { status: 'NOTHING_TO_REFUND'; voidId: string }
  /** A crypto payment to give back: announced (CryptoRefundDue) for a payout from the shop's wallet. */
  | { status: 'REFUND_DUE'; refundId: string; txHash: string };

/**
 * Compensation: refunds a capture, voids an authorization, and when no authorization was recorded
 * (e.g. the authorize timed out: outcome unknown) voids whatever the provider may hold under the
 * authorize key. Idempotent on (order id, refund).
 */
export async function refundPayment(deps: PaymentDeps, input: { orderId: string }): Promise<RefundOutcome> {
  const { payment: before, steps: done } = await paymentAndSteps(input.orderId);
  if (done.has(REFUND_STEP)) {
    // A begun record left beside the refund's own (a concurrent RefundPayment inserted it after this
    // refund was recorded) would make the sweeper look at the order for ever: remove it.
    if (done.has(REFUND_BEGUN_STEP)) await forgetRefundBegun(input.orderId);
    return done.get(REFUND_STEP) as RefundOutcome;
  }
  // Before any provider call, and under the lock the crypto verification takes (adapters/pg-payments.ts).
  const { paymentMethod, crypto } = await beginRefund(input.orderId, !done.has(REFUND_BEGUN_STEP));
  let outcome: RefundOutcome;
  if (crypto) {
    outcome = { status: 'REFUND_DUE', refundId: `crypto-refund-due:${crypto.txHash}`, txHash: crypto.txHash };
  } else if (paymentMethod === 'crypto') {
    // Not paid (the payment window ran out, or the order failed first): nothing is held anywhere, and
    // the begun refund now refuses a late verification of it.
    outcome = { status: 'NOTHING_TO_REFUND', voidId: '' };
  } else if (!before) {
    const v = await deps.provider.void({ idempotencyKey: key(input.orderId, VOID_KEY_STEP), authorizeKey: key(input.orderId, AUTHORIZE_STEP) });
    outcome = { status: 'NOTHING_TO_REFUND', voidId: v.voidId };
  } else if (before.status === 'CAPTURED' && before.captureId) {
    const r = await deps.provider.refund({ idempotencyKey: key(input.orderId, REFUND_STEP), captureId: before.captureId, amountCents: before.amountCents });
    outcome = { status: 'REFUNDED', refundId: r.refundId };
  } else if (before.status === 'AUTHORIZED') {
    const v = await deps.provider.void({ idempotencyKey: key(input.orderId, VOID_KEY_STEP), authorizationId: before.authorizationId, authorizeKey: key(input.orderId, AUTHORIZE_STEP) });
    outcome = { status: 'VOIDED', voidId: v.voidId };
  } else {
    outcome = before.status === 'REFUNDED' ? { status: 'REFUNDED', refundId: before.refundId ?? '' } : { status: 'VOIDED', voidId: '' };
  }
  let announced = false;
  const { result } = await runStepOnce({ ns: 'payment', orderId: input.orderId, step: REFUND_STEP }, async ({ tx, enqueue }) => {
    const now = await findPayment(input.orderId, tx, true);
    // The refund's own record replaces its begun record (same transaction): what is left begun is
    // what never finished, which the sweeper looks for (claimUnsettledOrders).
    await forgetRefundBegun(input.orderId, tx);
    if ((now?.status ?? 'NONE') !== (before?.status ?? 'NONE')) throw new TransientError(`payment of order ${input.orderId} changed while refunding (${before?.status ?? 'NONE'} -> ${now?.status}); retry`);
    if (outcome.status === 'REFUND_DUE') {
      if (now && now.status !== 'REFUNDED') await setStatus(tx, input.orderId, 'REFUNDED', { refundId: outcome.refundId });
      enqueue(cryptoRefundDue(input.orderId, crypto!));
      announced = true;
    } else if (now && outcome.status === 'REFUNDED' && now.status !== 'REFUNDED') {
      await setStatus(tx, input.orderId, 'REFUNDED', { refundId: outcome.refundId });
      enqueue(paymentEvent('PaymentRefunded', input.orderId, { orderId: input.orderId, refundId: outcome.refundId, amountCents: now.amountCents, currency: now.currency }));
    } else if (now && outcome.status === 'VOIDED' && now.status === 'AUTHORIZED') {
      await setStatus(tx, input.orderId, 'VOIDED');
      enqueue(paymentEvent('PaymentVoided', input.orderId, { orderId: input.orderId, authorizationId: now.authorizationId }));
    }
    return outcome;
  });
  if (announced) deps.onCryptoRefundDue?.();
  return result;
}

/**
 * CryptoRefundDue: the order was paid on chain and then compensated, so its payment goes back to the
 * payer from the shop's wallet. The platform holds no key of that wallet: the event is the
 * operator's payout queue (docs/web3.md).
 */
function cryptoRefundDue(orderId: string, paid: CryptoPaymentRecord) {
  return paymentEvent('CryptoRefundDue', orderId, { orderId, chainId: paid.chainId, txHash: paid.txHash, token: paid.token, payer: paid.payer, amount: paid.amount, amountCents: paid.amountCents, currency: paid.currency });
}
