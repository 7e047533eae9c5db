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

import { randomUUID } from 'node:crypto';
import { endpoints } from '../../../local/engines/endpoints';
import { ensureLocalToken } from '../../../local/engines/chain';
import { createTopics, startPlatform, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { call, chainClient, pay, rpcUrl, signIn, wallet } from '../web3/helpers';
import { localWeb3Env } from '../../../local/runtime/env';
import { web3Config } from '../../../functions/web3/config';
import { resetChain } from '../../../functions/web3/adapters/chain';
import { watchPayments } from '../../../functions/web3/use-cases/watch-payments';
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
  tokenFor,
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

  it('verified before the saga reserved the stock: 409 ORDER_NOT_READY, nothing recorded; the same request while the saga waits pays it', async () => {
    const o = await cryptoOrder('early');
    const txHash = await pay(o.a, '25');
    const early = await o.verify(txHash);
    expect([early.status, early.body.error.code]).toEqual([409, 'ORDER_NOT_READY']);
    expect((await db().query('SELECT 1 FROM crypto_payments WHERE order_id = $1', [o.orderId])).rowCount).toBe(0);
    await deliverOrderCreated(p, o.event);
    await until('the reservation', async () => ((await stockOf(o.sku)) === 8 ? true : undefined));
    expect((await o.verify(txHash)).status).toBe(200);
    expect((await waitForOrderStatus(o.orderId)).status).toBe('CONFIRMED');
  });

  it('out of stock after a payment was sent: the order is cancelled without waiting, and the payment is recorded for a refund', async () => {
    const o = await cryptoOrder('oos');
    await db().query('UPDATE inventory SET stock = 1 WHERE sku = $1', [o.sku]);
    const txHash = await pay(o.a, '25');
    expect((await o.verify(txHash)).body.error.code).toBe('ORDER_NOT_READY');
    await deliverOrderCreated(p, o.event);
    expect(await waitForOrderStatus(o.orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'OutOfStockError' });
    const late = await o.verify(txHash);
    expect([late.status, late.body.error.code]).toEqual([409, 'ORDER_NOT_PAYABLE']);
    expect((await db().query('SELECT disposition FROM crypto_payments WHERE order_id = $1', [o.orderId])).rows).toEqual([{ disposition: 'REFUND_DUE' }]);
    const due = (await eventsOfOrder(o.orderId, kafka)).filter((e) => e.event.type === 'CryptoRefundDue');
    expect(due.map((e) => e.event.data)).toEqual([expect.objectContaining({ txHash, amount: '25000000000000000000', reason: expect.stringContaining('CANCELLED') })]);
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

    // Paid after the window: the money is recorded for a refund and announced, not kept silently.
    const lateTx = await pay(o.a, '25');
    const late = await o.verify(lateTx);
    expect([late.status, late.body.error.code]).toEqual([409, 'ORDER_NOT_PAYABLE']);
    expect((await db().query('SELECT tx_hash, disposition FROM crypto_payments WHERE order_id = $1', [o.orderId])).rows).toEqual([{ tx_hash: lateTx, disposition: 'REFUND_DUE' }]);
    const due = (await eventsOfOrder(o.orderId, kafka)).filter((e) => e.event.type === 'CryptoRefundDue');
    expect(due.map((e) => [e.event.source, (e.event.data as { txHash: string }).txHash])).toEqual([['shop.web3', lateTx]]);
  });

  it('cancelled by the customer while the saga waits: the wait ends at the next try (not after the window), the stock is released', async () => {
    const o = await cryptoOrder('cancel');
    await deliverOrderCreated(p, o.event);
    const arn = executionArnOf(p, o.orderId);
    await until('a pending authorize', async () => (taskFailures(await p.sfn.getExecutionHistory(arn).catch(() => [])).length > 0 ? true : undefined));
    expect((await call(p.url, 'POST', `/orders/${o.orderId}/cancel`, { token: o.session.token })).status).toBe(200);
    expect(await waitForOrderStatus(o.orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'CancelledByCustomer' });
    const failures = taskFailures((await sagaOf(p, o.orderId)).history).map((f) => f.error);
    expect(failures[failures.length - 1]).toBe('CryptoOrderCancelledError');
    expect(failures.filter((e) => e === 'CryptoPaymentPendingError').length).toBeLessThan(31);
    expect(await stockOf(o.sku)).toBe(10);
  });
});

describe('the payment watcher (Web3PaymentWatcher, the use case)', () => {
  const config = () => web3Config({ ...process.env, ...localWeb3Env() });
  afterEach(() => resetChain());
  /** Runs the watcher until it has looked at `block` (each run reads at most MAX_BLOCK_RANGE blocks). */
  async function watchUntil(block: bigint, hooks: Parameters<typeof watchPayments>[1] = {}) {
    const runs = [];
    for (let i = 0; i < 50; i++) {
      const r = (await watchPayments(config(), hooks))!;
      runs.push(r);
      if (BigInt(r.toBlock) >= block) return runs;
    }
    throw new Error(`the watcher did not reach block ${block}: ${JSON.stringify(runs.slice(-3))}`);
  }
  const blockOf = async (txHash: `0x${string}`) => (await chainClient.getTransactionReceipt({ hash: txHash })).blockNumber;

  it('a customer who pays and never calls the API: the watcher records the payment for their waiting order, and the saga confirms it', async () => {
    const o = await cryptoOrder('watched');
    await deliverOrderCreated(p, o.event);
    await until('the reservation', async () => ((await stockOf(o.sku)) === 8 ? true : undefined));
    const txHash = await pay(o.a, '25');
    await watchUntil(await blockOf(txHash));
    expect((await db().query('SELECT order_id::text, disposition FROM crypto_payments WHERE tx_hash = $1', [txHash])).rows).toEqual([{ order_id: o.orderId, disposition: 'ORDER' }]);
    expect((await waitForOrderStatus(o.orderId)).status).toBe('CONFIRMED');
  });

  it('a transfer from a wallet that never signed in is counted as unattributed and not recorded', async () => {
    const stranger = await wallet();
    const txHash = await pay(stranger, '3');
    let unattributed = 0;
    const runs = await watchUntil(await blockOf(txHash), { onUnattributed: (n) => void (unattributed += n) });
    expect(runs.reduce((n, r) => n + r.unattributed, 0)).toBeGreaterThanOrEqual(1);
    expect(unattributed).toBeGreaterThanOrEqual(1);
    expect((await db().query('SELECT 1 FROM crypto_payments WHERE tx_hash = $1', [txHash])).rowCount).toBe(0);
  });

  it('a payment for an order not reserved yet holds the watcher before its block; once the saga reserved, the next run records it', async () => {
    const o = await cryptoOrder('watch-early');
    const txHash = await pay(o.a, '25');
    const block = await blockOf(txHash);
    const runs = [];
    for (let i = 0; i < 50; i++) {
      const r = (await watchPayments(config()))!;
      runs.push(r);
      if (BigInt(r.toBlock) >= block - 1n || r.fromBlock === String(block)) break;
    }
    expect(BigInt(runs[runs.length - 1]!.toBlock)).toBeLessThan(block);
    expect((await db().query('SELECT 1 FROM crypto_payments WHERE tx_hash = $1', [txHash])).rowCount).toBe(0);
    await deliverOrderCreated(p, o.event);
    await until('the reservation', async () => ((await stockOf(o.sku)) === 8 ? true : undefined));
    await watchUntil(block);
    expect((await waitForOrderStatus(o.orderId)).status).toBe('CONFIRMED');
  });
});

describe('RefundPayment of a paid crypto order (the use case)', () => {
  it('announces the payment once, counts it once, and calls no provider; a repeat replays the outcome', async () => {
    const o = await cryptoOrder('direct-refund');
    const txHash = await pay(o.a, '25');
    // As the saga leaves a waiting order: its stock reserved (no saga runs for this one).
    await db().query("INSERT INTO processed_messages (order_id, step) VALUES ($1, 'inventory.reserve')", [o.orderId]);
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
    // Its order-created went to Kafka: another test file's runtime may start its saga, which would wait
    // for a payment for the whole window. The customer's cancel ends that wait at its next try.
    expect((await call(p.url, 'POST', `/orders/${ok.body.orderId}/cancel`, { token: session.token })).status).toBe(200);
    for (const body of [{ items: [{ sku, quantity: 1 }], paymentMethod: 'crypto', paymentToken: '4242424242424242' }, { items: [{ sku, quantity: 1 }], paymentMethod: 'card' }, { items: [{ sku, quantity: 1 }] }]) {
      const r = await post(body);
      expect([JSON.stringify(body), r.status, r.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([JSON.stringify(body), 400, ['paymentToken']]);
    }
    const bad = await post({ items: [{ sku, quantity: 1 }], paymentMethod: 'cash' });
    expect([bad.status, bad.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([400, ['paymentMethod']]);
    // An account that never signed in with a wallet could never pay: refused at once, nothing written.
    const emailOnly = await call(p.url, 'POST', '/orders', { token: await tokenFor(randomUUID()), body: { items: [{ sku, quantity: 1 }], paymentMethod: 'crypto' } });
    expect([emailOnly.status, emailOnly.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([422, ['paymentMethod']]);
    expect(emailOnly.body.error.message).toContain('POST /web3/verify');
  });
});
