/**
 * Orders paid in crypto, through the real saga (the same ASL) on the real engines and the local chain:
 * AuthorizePayment waits (retrying CryptoPaymentPendingError) until POST /web3/payments/verify has
 * recorded the order's on-chain payment, then the order goes on to CONFIRMED; unpaid, it is
 * compensated when the window runs out; paid and then compensated, its payment is announced as a
 * CryptoRefundDue.
 *
 * Deterministic: the orders are written as POST /orders writes them but their order-created message
 * is never delivered (no SagaStarter of any runtime on these engines starts them); the test delivers
 * it when it wants the saga to run. The payment window is shortened to 31 tries 300 ms apart.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { endpoints } from '../../../local/engines/endpoints';
import { ensureLocalToken } from '../../../local/engines/chain';
import { createTopics, startPlatform, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { call, pay, rpcUrl, signIn, wallet } from '../web3/helpers';
import type { PaymentProvider } from '../../../functions/payment/domain/provider';
import { refundPayment } from '../../../functions/payment/use-cases/payments';
import {
  closeDb,
  collectTopic,
  db,
  deliverOrderCreated,
  eventsOfOrder,
  executionArnOf,
  migrate,
  ORDER_EVENT_TOPICS,
  paymentOf,
  placeUndelivered,
  platformOptions,
  sagaOf,
  seedSku,
  stockOf,
  taskFailures,
  until,
  waitForOrderStatus,
  type TopicCollector,
} from './helpers';

jest.setTimeout(120000);

/** AuthorizePayment's retriers, in the ASL's order: CryptoPaymentPendingError, Lambda throttling, transient errors. */
const WAIT_MS = 300;
const FAST = { ReserveInventory: 0, BeginConfirmation: 0, CapturePayment: 0, ConfirmOrder: 0, PublishOrderCompleted: 0, RefundPayment: 0, ReleaseInventory: 0, CancelOrder: 0, PublishOrderFailed: 0 };

let p: Platform;
let kafka: TopicCollector;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers), ensureLocalToken(rpcUrl)]);
  [p, kafka] = await Promise.all([
    startPlatform(platformOptions({ components: ['gateway', 'sfn', 'aws-endpoint'], retryIntervalOverrides: { ...FAST, AuthorizePayment: [WAIT_MS, 0, 0] } })),
    collectTopic(ORDER_EVENT_TOPICS),
  ]);
});
afterAll(async () => {
  await kafka?.stop();
  await p?.stop();
  await closeDb();
});

/** A signed-in wallet with a crypto order of two units at 12.50 (25.00 EUR), not started yet. */
async function cryptoOrder(tag: string) {
  const a = await wallet();
  const session = await signIn(p.url, a);
  const sku = await seedSku(`crypto-${tag}`, 10, 1250);
  const { orderId, event } = await placeUndelivered(session.userId, [{ sku, quantity: 2 }], 'crypto');
  const verify = (txHash: string) => call(p.url, 'POST', '/web3/payments/verify', { token: session.token, body: { orderId, txHash } });
  return { a, session, sku, orderId, event, verify };
}

describe('a crypto order through the saga', () => {
  it('waits in AuthorizePayment until its payment is verified, then captures it and confirms the order', async () => {
    const o = await cryptoOrder('wait');
    await deliverOrderCreated(p, o.event);
    // The saga is waiting: its authorize has failed with CryptoPaymentPendingError at least once.
    const arn = executionArnOf(p, o.orderId);
    await until('a pending authorize', async () => {
      const history = await p.sfn.getExecutionHistory(arn).catch(() => []);
      return taskFailures(history).some((f) => f.error === 'CryptoPaymentPendingError') ? true : undefined;
    });
    expect(await stockOf(o.sku)).toBe(8); // reserved while it waits

    const txHash = await pay(o.a, '25');
    expect((await o.verify(txHash)).status).toBe(200);
    const order = await waitForOrderStatus(o.orderId);
    expect(order.status).toBe('CONFIRMED');
    expect(await paymentOf(o.orderId)).toMatchObject({ status: 'CAPTURED', capture_id: `crypto:${txHash}` });
    expect(await stockOf(o.sku)).toBe(8);
    const types = (await eventsOfOrder(o.orderId, kafka, 5)).map((e) => e.event.type);
    expect(types).toEqual(expect.arrayContaining(['CryptoPaymentVerified', 'PaymentAuthorized', 'PaymentCaptured', 'OrderCompleted']));
    expect(types).not.toContain('CryptoRefundDue');
  });

  it('paid before the saga starts: authorized at once, without waiting', async () => {
    const o = await cryptoOrder('prepaid');
    expect((await o.verify(await pay(o.a, '25'))).status).toBe(200);
    await deliverOrderCreated(p, o.event);
    expect((await waitForOrderStatus(o.orderId)).status).toBe('CONFIRMED');
    expect(taskFailures((await sagaOf(p, o.orderId)).history)).toEqual([]);
  });

  it('unpaid when the window runs out: compensated (stock released, CANCELLED with the cause), and a late payment is refused', async () => {
    const o = await cryptoOrder('unpaid');
    await deliverOrderCreated(p, o.event);
    const order = await waitForOrderStatus(o.orderId, 60000);
    expect(order).toMatchObject({ status: 'CANCELLED', cancel_error: 'CryptoPaymentPendingError' });
    expect(await stockOf(o.sku)).toBe(10);
    const failures = taskFailures((await sagaOf(p, o.orderId)).history);
    // The first try and the retrier's 30 more.
    expect(failures.filter((f) => f.error === 'CryptoPaymentPendingError')).toHaveLength(31);
    expect(await paymentOf(o.orderId)).toBeUndefined();

    const late = await o.verify(await pay(o.a, '25'));
    expect([late.status, late.body.error.code]).toEqual([409, 'ORDER_NOT_PAYABLE']);
    expect((await db().query('SELECT 1 FROM crypto_payments WHERE order_id = $1', [o.orderId])).rowCount).toBe(0);
  });

  it('paid, then cancelled by the customer before the pivot: the payment is announced for a payout (CryptoRefundDue), the stock released', async () => {
    const o = await cryptoOrder('refund');
    const txHash = await pay(o.a, '25');
    expect((await o.verify(txHash)).status).toBe(200);
    expect((await call(p.url, 'POST', `/orders/${o.orderId}/cancel`, { token: o.session.token })).status).toBe(200);
    await deliverOrderCreated(p, o.event);
    const order = await waitForOrderStatus(o.orderId);
    expect(order).toMatchObject({ status: 'CANCELLED', cancel_error: 'CancelledByCustomer' });
    expect(taskFailures((await sagaOf(p, o.orderId)).history).map((f) => [f.state, f.error])).toEqual([['BeginConfirmation', 'OrderCancelledByCustomerError']]);
    expect(await paymentOf(o.orderId)).toMatchObject({ status: 'REFUNDED' });
    expect(await stockOf(o.sku)).toBe(10);
    const due = (await eventsOfOrder(o.orderId, kafka)).filter((e) => e.event.type === 'CryptoRefundDue');
    expect(due).toHaveLength(1);
    expect(due[0]!.topic).toBe('payment-events');
    expect(due[0]!.event.data).toMatchObject({ orderId: o.orderId, txHash, payer: o.a.address.toLowerCase(), amount: '25000000000000000000', amountCents: 2500, currency: 'EUR' });
    // Nothing went to the card provider: no void, no refund there.
    expect((await sagaOf(p, o.orderId)).output ?? '').not.toContain('VOIDED');
  });
});

describe('RefundPayment of a paid crypto order (the use case)', () => {
  it('announces the payment once, counts it once, and calls no provider; a repeat replays the outcome', async () => {
    const o = await cryptoOrder('direct-refund');
    const txHash = await pay(o.a, '25');
    expect((await o.verify(txHash)).status).toBe(200);
    const untouchable = new Proxy({} as PaymentProvider, { get: (_t, prop) => (prop === 'name' ? 'untouchable' : () => Promise.reject(new Error(`the provider was called: ${String(prop)}`))) });
    let counted = 0;
    const deps = { provider: untouchable, onCryptoRefundDue: () => void counted++ };
    const first = await refundPayment(deps, { orderId: o.orderId });
    expect(first).toEqual({ status: 'REFUND_DUE', refundId: `crypto-refund-due:${txHash}`, txHash });
    expect(await refundPayment(deps, { orderId: o.orderId })).toEqual(first);
    expect(counted).toBe(1);
    const due = await until('the CryptoRefundDue', async () => {
      const events = (await eventsOfOrder(o.orderId, kafka)).filter((e) => e.event.type === 'CryptoRefundDue');
      return events.length > 0 ? events : undefined;
    });
    expect(due).toHaveLength(1);
  });
});

describe('POST /orders with paymentMethod', () => {
  it('takes a crypto order without a token, and refuses a token beside it or a card order without one (400 naming paymentToken)', async () => {
    const a = await wallet('0');
    const session = await signIn(p.url, a);
    const sku = await seedSku('crypto-api', 5, 100);
    const post = (body: unknown) => call(p.url, 'POST', '/orders', { token: session.token, body });
    const ok = await post({ items: [{ sku, quantity: 1 }], paymentMethod: 'crypto' });
    expect(ok.status).toBe(202);
    expect((await db().query('SELECT payment_method, payment_token FROM orders WHERE id = $1', [ok.body.orderId])).rows).toEqual([{ payment_method: 'crypto', payment_token: null }]);
    expect((await call(p.url, 'GET', `/orders/${ok.body.orderId}`, { token: session.token })).body).toMatchObject({ orderId: ok.body.orderId, status: 'PENDING', paymentMethod: 'crypto' });
    for (const body of [{ items: [{ sku, quantity: 1 }], paymentMethod: 'crypto', paymentToken: '4242424242424242' }, { items: [{ sku, quantity: 1 }], paymentMethod: 'card' }, { items: [{ sku, quantity: 1 }] }]) {
      const r = await post(body);
      expect([JSON.stringify(body), r.status, r.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([JSON.stringify(body), 400, ['paymentToken']]);
    }
    const bad = await post({ items: [{ sku, quantity: 1 }], paymentMethod: 'cash' });
    expect([bad.status, bad.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([400, ['paymentMethod']]);
  });
});
