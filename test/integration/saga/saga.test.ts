/**
 * The order saga end to end on the real engines: HTTP through the local gateway (real API Gateway
 * events + JWT authorizer), PostgreSQL, Kafka (order-created -> SagaStarter as an MSK event),
 * the real statemachines/order-saga.asl.json in the runtime's Step Functions runner, each Task
 * running the same handler the Lambda runs. Each compensation case asserts the error that caused
 * it (execution history AND the stored cancel reason), not only the end state.
 */
process.env.PAYMENT_PROVIDER_TIMEOUT_MS = '100';
process.env.PAYMENT_PROVIDER_ATTEMPTS = '2';
process.env.PAYMENT_BREAKER_THRESHOLD = '10000';
process.env.SANDBOX_TIMEOUT_CARD_DELAY_MS = '3000';
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { createHash, randomUUID } from 'node:crypto';
import { kafkaClient, startPlatform, type Platform } from '../../../local/runtime';
import { endpoints } from '../../../local/engines/endpoints';
import {
  CARDS,
  RUN,
  apiAs,
  closeDb,
  collectTopic,
  eventsOfOrder,
  ORDER_EVENT_TOPICS,
  outboxLeft,
  db,
  deliverOrderCreated,
  placeUndelivered,
  executionArnOf,
  migrate,
  newUser,
  orderRow,
  paymentOf,
  platformOptions,
  positionGroupAtEnd,
  reservationsOf,
  sagaOf,
  seedSku,
  statesEntered,
  stepsOf,
  stockOf,
  taskFailures,
  until,
  waitConsumed,
  type Api,
} from './helpers';

jest.setTimeout(120000);

const STARTER_GROUP = `saga-starter-it-${RUN}`;
let p: Platform;
/** One collector (one consumer group join) for the topics the tests read. */
let topics: Awaited<ReturnType<typeof collectTopic>>;

beforeAll(async () => {
  await migrate();
  await positionGroupAtEnd(STARTER_GROUP, ['order-created']);
  [p, topics] = await Promise.all([startPlatform(platformOptions()), collectTopic([...ORDER_EVENT_TOPICS, 'dead-letter'])]);
});
afterAll(async () => {
  await topics?.stop();
  await p?.stop();
  await closeDb();
});

async function place(api: Api, sku: string, quantity: number, card: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await api.post('/orders', { items: [{ sku, quantity }], paymentToken: card }, headers);
  expect(res.status).toBe(202);
  expect(res.body).toEqual({ orderId: expect.any(String), status: 'PENDING' });
  return res.body.orderId as string;
}

describe('order saga on the engines', () => {
  it('confirms an order: stock decremented, payment captured, its events published on Kafka and EventBridge', async () => {
    const s = await seedSku('happy', 5, 1250);
    const api = await apiAs(p, newUser());
    {
      const orderId = await place(api, s, 2, CARDS.approve);
      const saga = await sagaOf(p, orderId);
      expect(saga.status).toBe('SUCCEEDED');
      expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'ReserveInventory', 'AuthorizePayment', 'BeginConfirmation', 'CapturePayment', 'ConfirmOrder', 'PublishOrderCompleted', 'OrderConfirmed']);
      expect(taskFailures(saga.history)).toEqual([]);

      expect((await orderRow(orderId)).status).toBe('CONFIRMED');
      expect(await stockOf(s)).toBe(3);
      expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 2, status: 'RESERVED' }]);
      expect(await paymentOf(orderId)).toEqual({ status: 'CAPTURED', capture_id: expect.stringMatching(/^cap_/) });

      const view = await api.get(`/orders/${orderId}`);
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ orderId, status: 'CONFIRMED', amountCents: 2500, currency: 'EUR', items: [{ sku: s, quantity: 2, unitPriceCents: 1250 }] });
      expect(view.body.failure).toBeUndefined();

      // Every outbox row of the order went out (a sent row is deleted); the completion event is on Kafka and on the bus, same envelope.
      expect(await outboxLeft(orderId)).toEqual([]);
      const onKafka = await until('OrderCompleted on Kafka', () => topics.messages.find((m) => m.topic === 'order-completed' && m.key === orderId));
      expect(onKafka.value).toMatchObject({ type: 'OrderCompleted', source: 'shop.order', orderId, version: 1, data: { orderId, amountCents: 2500, currency: 'EUR' } });
      // OrderCreated is put on the bus by this process's API handler (later events go to the bus of
      // whichever runtime ran the saga: another `npm start` on the same Kafka may run it too).
      // Each of the order's five events went out once (by envelope id), whoever sent it.
      const events = await eventsOfOrder(orderId, topics, 5);
      expect(events.map((e) => e.event.type)).toEqual(['InventoryReserved', 'OrderCompleted', 'OrderCreated', 'PaymentAuthorized', 'PaymentCaptured']);
      const created = events.find((e) => e.event.type === 'OrderCreated')?.event;
      const onBus = p.bus.events.find((e) => e['detail-type'] === 'OrderCreated' && (e.detail as { orderId?: string }).orderId === orderId);
      expect(onBus?.source).toBe('shop.order');
      expect(onBus?.detail).toEqual(created);
    }
  });

  it('keeps the payment token out of every event and execution: it is read from the order row, which forgets it once the order is CONFIRMED or CANCELLED', async () => {
    const s = await seedSku('token', 5, 700);
    const api = await apiAs(p, newUser());
    const cards = { confirmed: CARDS.approveMastercard, cancelled: CARDS.decline };
    const confirmedId = await place(api, s, 1, cards.confirmed);
    const cancelledId = await place(api, s, 1, cards.cancelled);
    // While the saga has not authorized, the token is in the order's row (and only there).
    for (const [orderId, card] of [[confirmedId, cards.confirmed], [cancelledId, cards.cancelled]] as const) {
      const saga = await sagaOf(p, orderId);
      const history = JSON.stringify(saga.history);
      expect(history).toContain(orderId); // the execution's input and task payloads are in it
      expect(history).not.toContain(card);
      expect(history).not.toContain('paymentToken');
      // OrderCreated (version 2): on Kafka and on the bus, no token in it.
      const created = await until(`OrderCreated of ${orderId} on Kafka`, () => topics.messages.find((m) => m.topic === 'order-created' && m.key === orderId));
      expect(created.value).toMatchObject({ type: 'OrderCreated', version: 2, orderId });
      expect(Object.keys((created.value as { data: object }).data).sort()).toEqual(['amountCents', 'currency', 'items', 'orderId', 'userId']);
      expect(JSON.stringify(created.value)).not.toContain(card);
      const onBus = p.bus.events.find((e) => e['detail-type'] === 'OrderCreated' && (e.detail as { orderId?: string }).orderId === orderId);
      expect(onBus?.detail).toEqual(created.value);
      // Every event of the order, on any topic.
      expect(JSON.stringify(await eventsOfOrder(orderId, topics, 1))).not.toContain(card);
      // A finished order keeps no token.
      const row = await db().query<{ status: string; payment_token: string | null }>('SELECT status, payment_token FROM orders WHERE id = $1', [orderId]);
      expect(row.rows[0]).toEqual({ status: orderId === confirmedId ? 'CONFIRMED' : 'CANCELLED', payment_token: null });
    }
    // The authorization was made with the row's card (the sandbox ends an authorization id with the card's last four digits).
    const auth = await db().query<{ authorization_id: string }>('SELECT authorization_id FROM payments WHERE order_id = $1', [confirmedId]);
    expect(auth.rows[0]?.authorization_id).toMatch(/_4444$/);
    expect(taskFailures((await sagaOf(p, cancelledId)).history)).toEqual([{ state: 'AuthorizePayment', error: 'PaymentDeclinedError', cause: expect.stringContaining('card_declined') }]);
  });

  it('puts every event of a saga on EventBridge with the same envelope as on Kafka (confirmed and cancelled orders)', async () => {
    // Delivered to this platform's SagaStarter only (never through Kafka), so this process runs the
    // sagas and their events land on this process's bus.
    const s = await seedSku('bus', 5);
    const confirmed = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    const declined = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.decline);
    expect(await deliverOrderCreated(p, confirmed.event, declined.event)).toEqual({ started: 2, duplicates: 0, deadLettered: 0 });
    const expected: Array<[string, string[]]> = [
      [confirmed.orderId, ['InventoryReserved', 'OrderCompleted', 'PaymentAuthorized', 'PaymentCaptured']],
      [declined.orderId, ['InventoryReleased', 'InventoryReserved', 'OrderFailed']],
    ];
    for (const [orderId, types] of expected) {
      await sagaOf(p, orderId);
      const onKafka = await eventsOfOrder(orderId, topics, types.length);
      expect(onKafka.map((e) => e.event.type)).toEqual(types);
      const onBus = await until(`${types.length} events of ${orderId} on the bus`, () => {
        const mine = p.bus.events.filter((e) => (e.detail as { orderId?: string }).orderId === orderId);
        return mine.length >= types.length ? mine : undefined;
      });
      expect(onBus.map((e) => e['detail-type']).sort()).toEqual(types);
      for (const { event } of onKafka) {
        const twin = onBus.find((e) => (e.detail as { id?: string }).id === event.id);
        expect({ type: event.type, source: twin?.source, detail: twin?.detail }).toEqual({ type: event.type, source: event.source, detail: event });
        expect(event).toEqual({ id: expect.any(String), type: event.type, time: expect.any(String), source: expect.stringMatching(/^shop\./), orderId, data: expect.any(Object), version: 1 });
      }
    }
  });

  it('cancels an out-of-stock order with OutOfStockError stored: nothing reserved, nothing charged', async () => {
    const s = await seedSku('empty', 0);
    const api = await apiAs(p, newUser());
    const orderId = await place(api, s, 1, CARDS.approve);
    const saga = await sagaOf(p, orderId);
    expect(saga.status).toBe('SUCCEEDED');
    expect(taskFailures(saga.history)).toEqual([{ state: 'ReserveInventory', error: 'OutOfStockError', cause: expect.stringContaining(`${s} requested 1, available 0`) }]);
    expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'ReserveInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);

    const o = await orderRow(orderId);
    expect(o).toMatchObject({ status: 'CANCELLED', cancel_error: 'OutOfStockError' });
    expect(o.cancel_cause).toContain(`${s} requested 1, available 0`);
    expect(await reservationsOf(orderId)).toEqual([]);
    expect(await paymentOf(orderId)).toBeUndefined();
    expect(await stockOf(s)).toBe(0);
    const view = await api.get(`/orders/${orderId}`);
    expect(view.body).toMatchObject({ status: 'CANCELLED', failure: { error: 'OutOfStockError' } });
  });

  it('releases inventory and cancels with PaymentDeclinedError when the card is declined', async () => {
    const s = await seedSku('declined', 3);
    const api = await apiAs(p, newUser());
    const orderId = await place(api, s, 2, CARDS.decline);
    const saga = await sagaOf(p, orderId);
    expect(taskFailures(saga.history)).toEqual([{ state: 'AuthorizePayment', error: 'PaymentDeclinedError', cause: expect.stringContaining('card_declined') }]);
    expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'ReserveInventory', 'AuthorizePayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'PaymentDeclinedError', cancel_cause: expect.stringContaining('card_declined') });
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 2, status: 'RELEASED' }]);
    expect(await stockOf(s)).toBe(3);
    expect(await paymentOf(orderId)).toBeUndefined();
    // OrderFailed went out once, naming the error, and nothing of the order is left unsent.
    const failed = (await eventsOfOrder(orderId, topics, 4)).filter((e) => e.event.type === 'OrderFailed');
    expect(failed.map((e) => e.event.data)).toEqual([expect.objectContaining({ orderId, error: 'PaymentDeclinedError' })]);
    expect(await outboxLeft(orderId)).toEqual([]);
  });

  it('retries a timing-out provider, then voids, releases and cancels with TransientError', async () => {
    const s = await seedSku('timeout', 3);
    const api = await apiAs(p, newUser());
    const orderId = await place(api, s, 1, CARDS.timeout);
    const saga = await sagaOf(p, orderId);
    const failures = taskFailures(saga.history);
    // 1 attempt + 2 ASL retries, each after the adapter's own retry; every one a time-out.
    expect(failures).toHaveLength(3);
    for (const f of failures) expect(f).toEqual({ state: 'AuthorizePayment', error: 'TransientError', cause: expect.stringContaining('timed out after 100 ms') });
    expect(saga.history.filter((e) => e.type === 'StateRetried' && e.stateName === 'AuthorizePayment')).toHaveLength(2);
    expect(statesEntered(saga.history).slice(-5)).toEqual(['RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'TransientError', cancel_cause: expect.stringContaining('timed out') });
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 1, status: 'RELEASED' }]);
    expect(await stockOf(s)).toBe(3);
    expect(await paymentOf(orderId)).toBeUndefined();
    expect(await stepsOf(orderId)).toEqual(['inventory.release', 'inventory.reserve', 'order.cancel', 'payment.refund']);
  });

  it('voids the authorization and releases when the capture is declined', async () => {
    const s = await seedSku('capture', 2);
    const api = await apiAs(p, newUser());
    const orderId = await place(api, s, 1, CARDS.captureDecline);
    const saga = await sagaOf(p, orderId);
    expect(taskFailures(saga.history)).toEqual([{ state: 'CapturePayment', error: 'PaymentDeclinedError', cause: expect.stringContaining('capture declined') }]);
    expect(statesEntered(saga.history).slice(3, 8)).toEqual(['BeginConfirmation', 'CapturePayment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder']);
    // The pivot had moved the order to CONFIRMING; the failed capture cancels it from there.
    expect(await stepsOf(orderId)).toEqual(['inventory.release', 'inventory.reserve', 'order.begin-confirmation', 'order.cancel', 'payment.authorize', 'payment.refund']);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'PaymentDeclinedError' });
    expect((await paymentOf(orderId))?.status).toBe('VOIDED');
    expect(await stockOf(s)).toBe(2);
  });

  // The saga here is stopped by its own time-outs, not by the cancel: what this shows is the API
  // answer and that the customer's reason outlives the saga's error. The cancel stopping a saga at
  // its pivot, before any capture, is customer-cancel.test.ts.
  it('lets the customer cancel a PENDING order mid-saga; the order keeps the customer reason over the saga\'s own error', async () => {
    const s = await seedSku('custcancel', 2);
    const api = await apiAs(p, newUser());
    const orderId = await place(api, s, 1, CARDS.timeout); // the saga sits in AuthorizePayment retries
    await until('the saga to start', async () => ((await reservationsOf(orderId)).length > 0 ? true : undefined));
    const c = await api.post(`/orders/${orderId}/cancel`, {});
    expect(c.status).toBe(200);
    expect(c.body).toEqual({ orderId, status: 'CANCELLING' }); // authorization and reservation still held
    expect((await api.post(`/orders/${orderId}/cancel`, {})).status).toBe(200);
    const saga = await sagaOf(p, orderId);
    expect(statesEntered(saga.history)).toContain('ReleaseInventory');
    expect(taskFailures(saga.history).map((f) => f.error)).toContain('TransientError');
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'CancelledByCustomer' });
    expect(await stockOf(s)).toBe(2);
  });

  it('rejects cancelling a CONFIRMED order (409) and another user\'s order (404)', async () => {
    const s = await seedSku('nocancel', 1);
    const api = await apiAs(p, newUser());
    const orderId = await place(api, s, 1, CARDS.approve);
    await sagaOf(p, orderId);
    const r = await api.post(`/orders/${orderId}/cancel`, {});
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('ORDER_NOT_CANCELLABLE');
    const other = await apiAs(p, newUser());
    expect((await other.post(`/orders/${orderId}/cancel`, {})).status).toBe(404);
    expect((await other.get(`/orders/${orderId}`)).status).toBe(404);
  });

  it('makes one order for the same Idempotency-Key, sequential or concurrent, and rejects the key with another body', async () => {
    const s = await seedSku('idem', 10);
    const user = newUser();
    const api = await apiAs(p, user);
    const key = `key-${RUN}`;
    const body = { items: [{ sku: s, quantity: 1 }], paymentToken: CARDS.approve };
    const all = await Promise.all(Array.from({ length: 5 }, () => api.post('/orders', body, { 'Idempotency-Key': key })));
    const again = await api.post('/orders', body, { 'Idempotency-Key': key });
    const ids = new Set([...all, again].map((r) => r.body.orderId));
    expect([...all, again].map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(ids.size).toBe(1);
    const rows = await db().query('SELECT id FROM orders WHERE user_id = $1', [user]);
    expect(rows.rows).toHaveLength(1);
    const orderId = [...ids][0] as string;
    await sagaOf(p, orderId);
    expect(await stockOf(s)).toBe(9);

    // The stored hash is keyed (HMAC): the plain SHA-256 of the body, which holds the card, is not in the database.
    const stored = (await db().query<{ request_hash: string }>('SELECT request_hash FROM orders WHERE id = $1', [orderId])).rows[0]!.request_hash;
    const plain = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    expect(stored).toMatch(/^h1:[0-9a-f]{64}$/);
    expect(stored).not.toContain(plain);
    // An order placed before the keyed hash (its row holds the plain SHA-256) still replays, and still refuses another body.
    await db().query('UPDATE orders SET request_hash = $2 WHERE id = $1', [orderId, plain]);
    const legacy = await api.post('/orders', body, { 'Idempotency-Key': key });
    expect({ status: legacy.status, orderId: legacy.body.orderId }).toEqual({ status: 202, orderId });

    const other = await api.post('/orders', { ...body, items: [{ sku: s, quantity: 2 }] }, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Another user may use the same key for their own order.
    const api2 = await apiAs(p, newUser());
    const mine = await api2.post('/orders', body, { 'Idempotency-Key': key });
    expect(mine.status).toBe(202);
    expect(mine.body.orderId).not.toBe(orderId);
  });

  it('starts one saga when the same order-created message is delivered twice', async () => {
    const s = await seedSku('dupmsg', 5);
    const api = await apiAs(p, newUser());
    const orderId = await place(api, s, 1, CARDS.approve);
    await sagaOf(p, orderId);
    const created = (await eventsOfOrder(orderId, topics, 5)).find((e) => e.event.type === 'OrderCreated')!.event;
    const producer = kafkaClient(endpoints().kafkaBrokers, `saga-it-dup-${RUN}`).producer();
    await producer.connect();
    const value = JSON.stringify(created);
    await producer.send({ topic: 'order-created', messages: [{ key: orderId, value }, { key: orderId, value }] });
    await producer.disconnect();
    await waitConsumed(STARTER_GROUP, 'order-created');

    // No execution of any name for this order but the first (the store is keyed by name, so also
    // look for names built on the order id), and the duplicates were not taken for poison.
    const execs = await p.sfn.listExecutions({ stateMachineArn: p.stateMachineArns['OrderSaga']! });
    expect(execs.executions.filter((e) => e.name?.includes(orderId)).map((e) => e.name)).toEqual([orderId]);
    expect((await p.sfn.describeExecution(executionArnOf(p, orderId))).status).toBe('SUCCEEDED');
    expect(topics.messages.filter((m) => m.topic === 'dead-letter' && String(m.value).includes(orderId))).toEqual([]);
    expect(await stockOf(s)).toBe(4);
    expect(await reservationsOf(orderId)).toHaveLength(1);
    expect(await stepsOf(orderId)).toEqual(['inventory.reserve', 'order.begin-confirmation', 'order.confirm', 'payment.authorize', 'payment.capture']);
  });

  it('sends poison order-created messages to dead-letter with their error and goes on with the next order', async () => {
    {
      // Several at once (one batch, most likely): the starter sends a batch's dead-letters together.
      const keys = [1, 2, 3].map((i) => `poison-${RUN}-${i}`);
      const producer = kafkaClient(endpoints().kafkaBrokers, `saga-it-poison-${RUN}`).producer();
      await producer.connect();
      await producer.send({ topic: 'order-created', messages: keys.map((key) => ({ key, value: '{"not":"an envelope"}' })) });
      await producer.disconnect();
      const dead = await until('the dead-letter records', () => {
        const found = keys.map((key) => topics.messages.find((m) => m.topic === 'dead-letter' && m.key === key));
        return found.every(Boolean) ? found : undefined;
      });
      for (const d of dead) expect(d!.value).toMatchObject({ source: 'saga-starter', error: expect.stringContaining('not an event envelope'), topic: 'order-created' });
      const s = await seedSku('afterpoison', 1);
      const orderId = await place(await apiAs(p, newUser()), s, 1, CARDS.approve);
      expect((await sagaOf(p, orderId)).status).toBe('SUCCEEDED');
      expect((await orderRow(orderId)).status).toBe('CONFIRMED');
    }
  });

  it('rejects a late reserve or authorize that arrives after its compensation (nothing taken, nothing held)', async () => {
    const s = await seedSku('late', 3);
    const lateOrder = randomUUID();
    expect(await p.handlers.invoke('InventoryTasks', { action: 'release', orderId: lateOrder })).toEqual({ released: false, lines: [] });
    await expect(p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId: lateOrder, items: [{ sku: s, quantity: 1 }] })).rejects.toMatchObject({ name: 'ReservationCompensatedError' });
    expect(await stockOf(s)).toBe(3);
    expect(await reservationsOf(lateOrder)).toEqual([]);

    expect(await p.handlers.invoke('PaymentTasks', { action: 'refund', orderId: lateOrder })).toMatchObject({ status: 'NOTHING_TO_REFUND' });
    await expect(p.handlers.invoke('PaymentTasks', { action: 'authorize', orderId: lateOrder, amountCents: 100, currency: 'EUR' })).rejects.toMatchObject({ name: 'PaymentCompensatedError' });
    expect(await paymentOf(lateOrder)).toBeUndefined();
    expect(await stepsOf(lateOrder)).toEqual(['inventory.release', 'payment.refund']);
  });

  it("lists the caller's orders newest first with a cursor, and only theirs", async () => {
    const s = await seedSku('list', 10);
    const api = await apiAs(p, newUser());
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await place(api, s, 1, CARDS.approve));
    const page1 = await api.get('/orders?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([ids[2], ids[1]]);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await api.get(`/orders?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
    expect(page2.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();
    const other = await apiAs(p, newUser());
    expect((await other.get('/orders')).body).toEqual({ items: [], nextCursor: null });
    for (const id of ids) await sagaOf(p, id);
  });

  it('reads stock, restocks idempotently with an admin token, and names the bad field', async () => {
    const s = await seedSku('restock', 1, 500);
    const admin = await apiAs(p, newUser(), ['admin']);
    expect((await admin.get(`/inventory/${s}`)).body).toMatchObject({ sku: s, stock: 1, priceCents: 500 });
    const key = { 'Idempotency-Key': `restock-${RUN}` };
    const a = await admin.post(`/inventory/${s}/restock`, { quantity: 4 }, key);
    const b = await admin.post(`/inventory/${s}/restock`, { quantity: 4 }, key);
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(await stockOf(s)).toBe(5);
    const fresh = `${s}-new`;
    const noPrice = await admin.post(`/inventory/${fresh}/restock`, { quantity: 1 });
    expect(noPrice.status).toBe(400);
    expect(noPrice.body.error.issues).toEqual([{ path: 'priceCents', message: expect.any(String) }]);
    expect((await admin.post(`/inventory/${fresh}/restock`, { quantity: 1, priceCents: 99 })).status).toBe(200);
    expect((await admin.get(`/inventory/${fresh}`)).body).toMatchObject({ stock: 1, priceCents: 99 });
    expect((await admin.get(`/inventory/${s}-missing`)).status).toBe(404);
    const neg = await admin.post(`/inventory/${s}/restock`, { quantity: -1 });
    expect(neg.status).toBe(400);
    expect(neg.body.error.issues[0].path).toBe('quantity');
  });

  describe('bad input', () => {
    let api: Api;
    let user: string;
    let s: string;
    beforeAll(async () => {
      user = newUser();
      api = await apiAs(p, user);
      s = await seedSku('bad', 10);
    });
    const fieldOf = (r: { body: any }) => (r.body.error.issues as Array<{ path: string }>).map((i) => i.path);

    it('rejects a body without items (400 naming items)', async () => {
      const r = await api.post('/orders', { paymentToken: CARDS.approve });
      expect(r.status).toBe(400);
      expect(fieldOf(r)).toEqual(['items']);
    });
    it('rejects a negative quantity (400 naming items.0.quantity)', async () => {
      const r = await api.post('/orders', { items: [{ sku: s, quantity: -1 }], paymentToken: CARDS.approve });
      expect(r.status).toBe(400);
      expect(fieldOf(r)).toEqual(['items.0.quantity']);
    });
    it('rejects wrong types (400 naming each field)', async () => {
      const r = await api.post('/orders', { items: [{ sku: 42, quantity: '2' }], paymentToken: 4242 });
      expect(r.status).toBe(400);
      expect(fieldOf(r).sort()).toEqual(['items.0.quantity', 'items.0.sku', 'paymentToken']);
    });
    it('rejects an unknown SKU (400 naming items.1.sku)', async () => {
      const r = await api.post('/orders', { items: [{ sku: s, quantity: 1 }, { sku: `${s}-nope`, quantity: 1 }], paymentToken: CARDS.approve });
      expect(r.status).toBe(400);
      expect(r.body.error.issues).toEqual([{ path: 'items.1.sku', message: `unknown SKU ${s}-nope` }]);
    });
    it('rejects a duplicate SKU line, too many lines, and a missing payment token', async () => {
      const dup = await api.post('/orders', { items: [{ sku: s, quantity: 1 }, { sku: s, quantity: 1 }], paymentToken: CARDS.approve });
      expect(fieldOf(dup)).toEqual(['items.1.sku']);
      const many = await api.post('/orders', { items: Array.from({ length: 51 }, (_, i) => ({ sku: `${s}-${i}`, quantity: 1 })), paymentToken: CARDS.approve });
      expect(many.status).toBe(400);
      expect(fieldOf(many)).toEqual(['items']);
      const noToken = await api.post('/orders', { items: [{ sku: s, quantity: 1 }] });
      expect(fieldOf(noToken)).toEqual(['paymentToken']);
    });
    it('rejects a huge payload (413 naming body) and invalid JSON (400 naming body)', async () => {
      const huge = await api.post('/orders', { items: [{ sku: s, quantity: 1 }], paymentToken: CARDS.approve, pad: 'x'.repeat(200_000) });
      expect(huge.status).toBe(413);
      expect(huge.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', issues: [{ path: 'body', message: expect.stringContaining('65536') }] });
      const broken = await api.post('/orders', '{"items": [');
      expect(broken.status).toBe(400);
      expect(fieldOf(broken)).toEqual(['body']);
    });
    it('rejects a bad Idempotency-Key, a bad order id, a bad limit and a forged cursor', async () => {
      const k = await api.post('/orders', { items: [{ sku: s, quantity: 1 }], paymentToken: CARDS.approve }, { 'Idempotency-Key': 'x'.repeat(200) });
      expect(k.status).toBe(400);
      expect(fieldOf(k)).toEqual(['headers.Idempotency-Key']);
      const id = await api.get('/orders/not-a-uuid');
      expect(id.status).toBe(400);
      expect(fieldOf(id)).toEqual(['path.id']);
      const lim = await api.get('/orders?limit=0');
      expect(fieldOf(lim)).toEqual(['query.limit']);
      const cur = await api.get('/orders?cursor=Zm9v');
      expect(cur.status).toBe(400);
      expect(fieldOf(cur)).toEqual(['query.cursor']);
    });
    it('answers every malformed body with 400 naming the field, never 500', async () => {
      const line = (v: Record<string, unknown>) => ({ items: [{ sku: s, quantity: 1, ...v }], paymentToken: CARDS.approve });
      let nested: unknown = 1;
      for (let i = 0; i < 2000; i++) nested = [nested];
      const cases: Array<[string, unknown, string[]]> = [
        ['null', null, ['(root)']],
        ['an array', [], ['(root)']],
        ['a string', 'x', ['(root)']],
        ['a number', 1, ['(root)']],
        ['a null line', { items: [null], paymentToken: CARDS.approve }, ['items.0']],
        ['items not an array', { items: {}, paymentToken: CARDS.approve }, ['items']],
        ['no lines', { items: [], paymentToken: CARDS.approve }, ['items']],
        ['quantity 0', line({ quantity: 0 }), ['items.0.quantity']],
        ['quantity 1.5', line({ quantity: 1.5 }), ['items.0.quantity']],
        ['quantity 1e20', line({ quantity: 1e20 }), ['items.0.quantity']],
        ['quantity null', line({ quantity: null }), ['items.0.quantity']],
        ['a 65-character SKU', line({ sku: 'A'.repeat(65) }), ['items.0.sku']],
        ['a non-ASCII SKU', line({ sku: 'ÄÖÜ-1' }), ['items.0.sku']],
        ['an empty SKU', line({ sku: '' }), ['items.0.sku']],
        ['a payment token object', { items: [{ sku: s, quantity: 1 }], paymentToken: { n: 1 } }, ['paymentToken']],
        ['2000-deep nesting in items', { items: nested, paymentToken: CARDS.approve }, ['items.0']],
      ];
      for (const [what, body, fields] of cases) {
        const r = await api.post('/orders', JSON.stringify(body));
        expect({ what, status: r.status }).toEqual({ what, status: 400 });
        expect({ what, fields: [...new Set(fieldOf(r))] }).toEqual({ what, fields }); // a field may have two issues (1e20: too big, not an int)
      }
    });
    it('answers forged list cursors with 400 naming query.cursor (PostgreSQL never sees them)', async () => {
      const forge = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const id = '0b4c1f8e-1d7a-4f62-9d83-5d2b8f0e6a11';
      for (const cursor of [forge(['1', '-'.repeat(36)]), forge(['2020-02-30T00:00:00.000000Z', id]), forge(['2020-01-01T10:00:00.000000Z', `${id.slice(0, 35)}g`]), forge({ a: 1 })]) {
        const r = await api.get(`/orders?cursor=${cursor}`);
        expect({ cursor, status: r.status, fields: r.status === 400 ? fieldOf(r) : [] }).toEqual({ cursor, status: 400, fields: ['query.cursor'] });
      }
    });
    it('rejects a request without a token (401) and made no order for any bad request', async () => {
      const res = await fetch(`${p.url}/orders`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(401);
      expect((await db().query('SELECT id FROM orders WHERE user_id = $1', [user])).rows).toEqual([]);
    });
  });
});
