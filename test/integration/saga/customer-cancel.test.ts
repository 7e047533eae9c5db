/**
 * A customer cancel against the saga's pivot (BeginConfirmation), on the real engines with the real
 * ASL: before the pivot the saga stops without capturing (authorization voided, stock released,
 * OrderCancelledByCustomerError caught in the history); from CONFIRMING on the cancel is a 409.
 *
 * Deterministic: the orders are written as POST /orders writes them but their order-created message
 * is never delivered (no SagaStarter of any runtime on these engines starts them); the test delivers
 * it to the SagaStarter itself when it wants the saga to run. The sandbox provider answers every
 * call after SANDBOX_LATENCY_MS, which holds the saga in AuthorizePayment / CapturePayment long
 * enough to act while it is there.
 */
process.env.PAYMENT_PROVIDER_TIMEOUT_MS = '10000';
process.env.PAYMENT_PROVIDER_ATTEMPTS = '1';
process.env.PAYMENT_BREAKER_THRESHOLD = '10000';
process.env.SANDBOX_LATENCY_MS = '800';
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { endpoints } from '../../../local/engines/endpoints';
import { createTopics, startPlatform, type HistoryEvent, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import {
  CARDS,
  apiAs,
  closeDb,
  collectTopic,
  eventsOfOrder,
  ORDER_EVENT_TOPICS,
  type TopicCollector,
  db,
  deliverOrderCreated,
  migrate,
  newUser,
  orderRow,
  orderStatusOf,
  paymentOf,
  placeUndelivered,
  platformOptions,
  reservationsOf,
  sagaOf,
  seedSku,
  statesEntered,
  stepsOf,
  stockOf,
  taskFailures,
  until,
} from './helpers';

jest.setTimeout(120000);

let p: Platform;
let kafka: TopicCollector;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  // No consumers and no schedules: nothing but this test starts these sagas.
  [p, kafka] = await Promise.all([startPlatform(platformOptions({ components: ['gateway', 'sfn', 'aws-endpoint'] })), collectTopic(ORDER_EVENT_TOPICS)]);
});
afterAll(async () => {
  await kafka?.stop();
  await p?.stop();
  await closeDb();
});

/** The order's events (sent or not), once each, by type; its OrderCreated was never sent (placeUndelivered). */
const eventTypes = async (orderId: string, atLeast: number): Promise<string[]> => (await eventsOfOrder(orderId, kafka, atLeast)).map((e) => e.event.type);
const refundStep = async (orderId: string): Promise<unknown> =>
  (await db().query<{ result: unknown }>("SELECT result FROM processed_messages WHERE order_id = $1 AND step = 'payment.refund'", [orderId])).rows[0]?.result;
const inputOf = (history: readonly HistoryEvent[], state: string): any => JSON.parse(history.find((e) => e.type === 'StateEntered' && e.stateName === state)!.input!);

/** What every "cancelled before the pivot" order must look like once its saga ended. */
async function expectStoppedBeforeCapture(orderId: string, sku: string, stock: number): Promise<void> {
  const saga = await sagaOf(p, orderId);
  expect(saga.status).toBe('SUCCEEDED');
  // The causing error: the pivot refused, and its Catch sent the saga to the compensations.
  expect(taskFailures(saga.history)).toEqual([{ state: 'BeginConfirmation', error: 'OrderCancelledByCustomerError', cause: expect.stringContaining('cancelled by the customer before its payment was captured') }]);
  expect(saga.history.filter((e) => e.type === 'StateCaught').map((e) => [e.stateName, e.error])).toEqual([['BeginConfirmation', 'OrderCancelledByCustomerError']]);
  expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'ReserveInventory', 'AuthorizePayment', 'BeginConfirmation', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
  expect(inputOf(saga.history, 'CancelOrder').error).toMatchObject({ Error: 'OrderCancelledByCustomerError' });

  // The order keeps the customer's reason; the money was never taken; the stock is back.
  expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'CancelledByCustomer' });
  expect(await paymentOf(orderId)).toEqual({ status: 'VOIDED', capture_id: null });
  expect((await db().query('SELECT refund_id FROM payments WHERE order_id = $1', [orderId])).rows).toEqual([{ refund_id: null }]);
  expect(await refundStep(orderId)).toMatchObject({ status: 'VOIDED' });
  expect(await eventTypes(orderId, 5)).toEqual(['InventoryReleased', 'InventoryReserved', 'OrderFailed', 'PaymentAuthorized', 'PaymentVoided']);
  expect(await stepsOf(orderId)).toEqual(['inventory.release', 'inventory.reserve', 'order.cancel', 'payment.authorize', 'payment.refund']);
  expect(await reservationsOf(orderId)).toEqual([{ sku, quantity: 2, status: 'RELEASED' }]);
  expect(await stockOf(sku)).toBe(stock);
}

describe('customer cancel vs the saga pivot', () => {
  it('stops a saga paused in AuthorizePayment before it captures: authorization voided, no refund, stock restored', async () => {
    const s = await seedSku('cc-paused', 3);
    const user = newUser();
    const api = await apiAs(p, user);
    const { orderId, event } = await placeUndelivered(user, [{ sku: s, quantity: 2 }], CARDS.approve);
    await deliverOrderCreated(p, event);
    // Reserved, and the provider is answering the authorization: the saga is before its pivot.
    await until('the reservation', async () => ((await reservationsOf(orderId)).length > 0 ? true : undefined));
    expect(await stockOf(s)).toBe(1);
    const c = await api.post(`/orders/${orderId}/cancel`, {});
    expect(c.status).toBe(200);
    // CANCELLING while the authorization and the reservation are still in place (the saga has not
    // compensated yet); the same cancel again answers the same.
    expect(c.body).toEqual({ orderId, status: 'CANCELLING' });
    const again = await api.post(`/orders/${orderId}/cancel`, {});
    expect([200, again.body.status]).toEqual([again.status, expect.stringMatching(/^CANCELL(ING|ED)$/)]);
    await expectStoppedBeforeCapture(orderId, s, 3);
    expect((await api.get(`/orders/${orderId}`)).body).toMatchObject({ status: 'CANCELLED', failure: { error: 'CancelledByCustomer' } });
  });

  it('stops a saga that starts after the customer cancelled (order-created delivered late)', async () => {
    const s = await seedSku('cc-late', 2);
    const user = newUser();
    const api = await apiAs(p, user);
    const { orderId, event } = await placeUndelivered(user, [{ sku: s, quantity: 2 }], CARDS.approve);
    const c = await api.post(`/orders/${orderId}/cancel`, {});
    expect([c.status, c.body]).toEqual([200, { orderId, status: 'CANCELLING' }]);
    expect((await api.get(`/orders/${orderId}`)).body).toMatchObject({ status: 'CANCELLING', failure: { error: 'CancelledByCustomer' } });
    await deliverOrderCreated(p, event);
    await expectStoppedBeforeCapture(orderId, s, 2);
  });

  it('answers 409 naming CONFIRMING while the payment is being captured, and 409 naming CONFIRMED after', async () => {
    const s = await seedSku('cc-confirming', 2);
    const user = newUser();
    const api = await apiAs(p, user);
    const { orderId, event } = await placeUndelivered(user, [{ sku: s, quantity: 1 }], CARDS.approve);
    await deliverOrderCreated(p, event);
    // Past the pivot: CONFIRMING while the provider answers the capture.
    await until('CONFIRMING', async () => ((await orderStatusOf(orderId)) === 'CONFIRMING' ? true : undefined), 30000, 20);
    const view = await api.get(`/orders/${orderId}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ orderId, status: 'CONFIRMING' });
    expect(view.body.failure).toBeUndefined();
    const tooLate = await api.post(`/orders/${orderId}/cancel`, {});
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error).toEqual({ code: 'ORDER_NOT_CANCELLABLE', message: `order ${orderId} is CONFIRMING: its payment is being captured, too late to cancel` });

    const saga = await sagaOf(p, orderId);
    expect(saga.status).toBe('SUCCEEDED');
    expect(taskFailures(saga.history)).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CONFIRMED', cancel_error: null });
    expect((await paymentOf(orderId))?.status).toBe('CAPTURED');
    expect(await stockOf(s)).toBe(1);
    const after = await api.post(`/orders/${orderId}/cancel`, {});
    expect(after.status).toBe(409);
    expect(after.body.error).toEqual({ code: 'ORDER_NOT_CANCELLABLE', message: `order ${orderId} is CONFIRMED and can no longer be cancelled` });
  });

  it('documents CONFIRMING and CANCELLING in the OpenAPI order status', async () => {
    const doc = await (await fetch(`${p.url}/openapi.json`)).json();
    const statuses = new Set<string>();
    JSON.stringify(doc, (_k, v) => {
      if (v && typeof v === 'object' && Array.isArray(v.enum) && v.enum.includes('PENDING')) v.enum.forEach((x: string) => statuses.add(x));
      return v;
    });
    expect([...statuses].sort()).toEqual(['CANCELLED', 'CANCELLING', 'CONFIRMED', 'CONFIRMING', 'PENDING']);
  });
});
