/**
 * The saga's task handlers on the real PostgreSQL, without the runtime, in both statement modes:
 * prepared (a direct connection: the local engines) and inline (behind RDS Proxy, where PREPARE
 * would pin the session), and with each step's normal path in one round trip (runStepOnce's
 * `normal`) or every step the general way (SAGA_STEP_ONE_ROUND_TRIP=false). These tests pin what
 * that must keep: both ways record the same results and enqueue the same events, a replayed step
 * changes nothing, a refused step rolls its statement back, and a held reservation never blocks
 * order intake for the same SKU.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { Client } from 'pg';
import { endpoints } from '../../../local/engines/endpoints';
import { closePool } from '../../../functions/shared/adapters/pg';
import { reserveStatement } from '../../../functions/inventory/adapters/pg-inventory';
import { handler as inventory } from '../../../functions/inventory/handlers/tasks';
import { handler as order } from '../../../functions/order/handlers/tasks';
import { handler as payment } from '../../../functions/payment/handlers/tasks';
import { CARDS, ORDER_EVENT_TOPICS, closeDb, collectTopic, db, eventsOfOrder, migrate, newUser, orderRow, paymentOf, placeUndelivered, reservationsOf, seedSku, stepsOf, stockOf, type TopicCollector } from './helpers';

jest.setTimeout(60000);
const saved = { prepared: process.env.PG_PREPARED_STATEMENTS, oneTrip: process.env.SAGA_STEP_ONE_ROUND_TRIP, poolMax: process.env.PG_POOL_MAX };
const restore = (k: string, v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
let kafka: TopicCollector;
beforeAll(async () => {
  process.env.PG_URL ??= endpoints().pgUrl;
  await migrate();
  // The steps' events stay in the outbox (no Publish step runs here), unless the relay of a runtime
  // of another test file on the same engines sends (and deletes) them: then they are on Kafka.
  kafka = await collectTopic(ORDER_EVENT_TOPICS);
});
afterAll(async () => {
  await kafka?.stop();
  await closePool();
  await closeDb();
  restore('PG_PREPARED_STATEMENTS', saved.prepared);
  restore('SAGA_STEP_ONE_ROUND_TRIP', saved.oneTrip);
  restore('PG_POOL_MAX', saved.poolMax);
});

const errorOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => ({ name: e.name, message: e.message }));

/** Round trips to PostgreSQL (client queries) made by the handlers while `fn` runs. */
async function roundTrips<T>(fn: () => Promise<T>): Promise<{ value: T; n: number }> {
  const spy = jest.spyOn(Client.prototype, 'query');
  try {
    const value = await fn();
    return { value, n: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

/** The order's events, sent or not, by type, without what differs between runs (ids, times, the order's own id). */
async function eventsOf(orderId: string, atLeast: number): Promise<Array<{ topic: string; type: string; data: unknown }>> {
  return (await eventsOfOrder(orderId, kafka, atLeast)).map(({ topic, event }) => ({ topic, type: event.type, data: JSON.parse(JSON.stringify(event.data).replaceAll(orderId, '<order>')) }));
}

describe.each([
  ['prepared statements, normal path in one round trip', 'true', 'true'],
  ['inline statements (RDS Proxy), normal path in one round trip', 'false', 'true'],
  ['prepared statements, every step the general way', 'true', 'false'],
])('saga steps, %s', (_mode, flag, oneTrip) => {
  beforeAll(async () => {
    await closePool(); // the pool's client class and size follow the settings
    process.env.PG_PREPARED_STATEMENTS = flag;
    process.env.SAGA_STEP_ONE_ROUND_TRIP = oneTrip;
    process.env.PG_POOL_MAX = '1'; // one connection: its statements are prepared by the first order, the round trips below are the steady state
  });

  const happyPath = (orderId: string, items: Array<{ sku: string; quantity: number }>, userId: string) => [
    () => inventory({ action: 'reserve', orderId, items }),
    () => payment({ action: 'authorize', orderId, amountCents: 2500, currency: 'EUR' }),
    () => order({ action: 'beginConfirmation', orderId }),
    () => payment({ action: 'capture', orderId }),
    () => order({ action: 'confirm', orderId, userId, amountCents: 2500, currency: 'EUR' }), // as the ASL passes it
  ];

  it(`runs the happy path to CONFIRMED in ${oneTrip === 'true' ? 'one round trip per step (authorize and capture: two, their read before the provider call)' : 'two round trips per step (authorize and capture: three)'}`, async () => {
    const s = await seedSku(`steps-rt-${flag}-${oneTrip}`, 10, 1250);
    const items = [{ sku: s, quantity: 2 }];
    const warmUser = newUser();
    const warm = await placeUndelivered(warmUser, items, CARDS.approve);
    for (const step of happyPath(warm.orderId, items, warmUser)) await step();
    const user = newUser();
    const { orderId } = await placeUndelivered(user, items, CARDS.approve);
    const trips: number[] = [];
    for (const step of happyPath(orderId, items, user)) trips.push((await roundTrips(step)).n);
    expect((await orderRow(orderId)).status).toBe('CONFIRMED');
    expect(trips).toEqual(oneTrip === 'true' ? [1, 2, 1, 2, 1] : [2, 3, 2, 3, 2]);
  });

  it('runs the happy path to CONFIRMED, and a replay of every step changes nothing', async () => {
    const s = await seedSku(`steps-ok-${flag}-${oneTrip}`, 5, 1250);
    const user = newUser();
    const { orderId } = await placeUndelivered(user, [{ sku: s, quantity: 2 }], CARDS.approve);
    const items = [{ sku: s, quantity: 2 }];
    const run = async () => {
      const out: unknown[] = [];
      for (const step of happyPath(orderId, items, user)) out.push(await step());
      return out;
    };
    const first = await run();
    expect(first[1]).toEqual({ authorizationId: expect.any(String) });
    expect(first[3]).toEqual({ captureId: expect.any(String) });
    expect(first[0]).toEqual({ reservationId: orderId, lines: items });
    expect(first[2]).toEqual({ status: 'CONFIRMING' });
    expect(first[4]).toEqual({ status: 'CONFIRMED' });
    const after = { order: await orderRow(orderId), stock: await stockOf(s), reservations: await reservationsOf(orderId), payment: await paymentOf(orderId), steps: await stepsOf(orderId) };
    expect(after.order.status).toBe('CONFIRMED');
    expect(after.stock).toBe(3);
    expect(after.reservations).toEqual([{ sku: s, quantity: 2, status: 'RESERVED' }]);
    expect(after.payment).toMatchObject({ status: 'CAPTURED' });
    expect(after.steps).toEqual(['inventory.reserve', 'order.begin-confirmation', 'order.confirm', 'payment.authorize', 'payment.capture']);

    // Every step again (a retried task, a re-run execution): the stored results, nothing written.
    expect(await run()).toEqual(first);
    expect({ order: await orderRow(orderId), stock: await stockOf(s), reservations: await reservationsOf(orderId), payment: await paymentOf(orderId), steps: await stepsOf(orderId) }).toEqual(after);
    // InventoryReserved, PaymentAuthorized, PaymentCaptured, OrderCompleted: once each, the same
    // whichever way the steps ran (the order's OrderCreated was never sent: placeUndelivered).
    const ids = { authorizationId: (first[1] as { authorizationId: string }).authorizationId, captureId: (first[3] as { captureId: string }).captureId };
    expect(await eventsOf(orderId, 4)).toEqual([
      { topic: 'inventory-events', type: 'InventoryReserved', data: { orderId: '<order>', lines: items } },
      { topic: 'order-completed', type: 'OrderCompleted', data: { orderId: '<order>', userId: user, amountCents: 2500, currency: 'EUR' } },
      { topic: 'payment-events', type: 'PaymentAuthorized', data: { orderId: '<order>', authorizationId: ids.authorizationId, amountCents: 2500, currency: 'EUR' } },
      { topic: 'payment-events', type: 'PaymentCaptured', data: { orderId: '<order>', captureId: ids.captureId, amountCents: 2500, currency: 'EUR' } },
    ]);
    const results = await db().query<{ step: string; result: unknown }>('SELECT step, result FROM processed_messages WHERE order_id = $1 ORDER BY step', [orderId]);
    expect(results.rows).toEqual([
      { step: 'inventory.reserve', result: { reservationId: orderId, lines: items } },
      { step: 'order.begin-confirmation', result: { status: 'CONFIRMING' } },
      { step: 'order.confirm', result: { status: 'CONFIRMED' } },
      { step: 'payment.authorize', result: { authorizationId: ids.authorizationId } },
      { step: 'payment.capture', result: { captureId: ids.captureId } },
    ]);
  });

  it('a confirm given another amount than the order has takes the general way: the order is confirmed with its own amount', async () => {
    const s = await seedSku(`steps-amount-${flag}-${oneTrip}`, 5, 1250);
    const user = newUser();
    const items = [{ sku: s, quantity: 2 }];
    const { orderId } = await placeUndelivered(user, items, CARDS.approve);
    const steps = happyPath(orderId, items, user);
    for (const step of steps.slice(0, 4)) await step();
    expect(await order({ action: 'confirm', orderId, userId: user, amountCents: 1, currency: 'EUR' })).toEqual({ status: 'CONFIRMED' });
    const completed = (await eventsOf(orderId, 4)).filter((e) => e.type === 'OrderCompleted');
    expect(completed).toEqual([{ topic: 'order-completed', type: 'OrderCompleted', data: { orderId: '<order>', userId: user, amountCents: 2500, currency: 'EUR' } }]);
  });

  it('out of stock: the error names the line, nothing is reserved and no step is recorded', async () => {
    const s = await seedSku(`steps-short-${flag}`, 1);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve);
    const err = await errorOf(inventory({ action: 'reserve', orderId, items: [{ sku: s, quantity: 2 }] }));
    expect(err).toMatchObject({ name: 'OutOfStockError', message: expect.stringContaining(s) });
    expect(await stockOf(s)).toBe(1);
    expect(await reservationsOf(orderId)).toEqual([]);
    expect(await stepsOf(orderId)).toEqual([]);
  });

  it('a pivot refused after the compensations rolls its move back: the order stays PENDING, nothing is captured', async () => {
    const s = await seedSku(`steps-late-${flag}`, 3);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await inventory({ action: 'reserve', orderId, items: [{ sku: s, quantity: 1 }] });
    await payment({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' });
    await payment({ action: 'refund', orderId });
    await inventory({ action: 'release', orderId });
    const err = await errorOf(order({ action: 'beginConfirmation', orderId }));
    expect(err).toMatchObject({ name: 'SagaAlreadyCompensatedError', message: expect.stringContaining('inventory.release') });
    expect((await orderRow(orderId)).status).toBe('PENDING'); // the body moved it to CONFIRMING; the refusal rolled that back
    expect(await stepsOf(orderId)).not.toContain('order.begin-confirmation');
    expect(await stockOf(s)).toBe(3);
    expect(await paymentOf(orderId)).toMatchObject({ status: 'VOIDED' });
  });

  it('a reserve arriving after its order was compensated is refused and its body rolled back: nothing reserved', async () => {
    const s = await seedSku(`steps-lr-${flag}`, 3);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    expect(await inventory({ action: 'release', orderId })).toEqual({ released: false, lines: [] }); // the compensation ran first
    const err = await errorOf(inventory({ action: 'reserve', orderId, items: [{ sku: s, quantity: 1 }] }));
    expect(err).toMatchObject({ name: 'ReservationCompensatedError' });
    expect(await stockOf(s)).toBe(3);
    expect(await reservationsOf(orderId)).toEqual([]);
    expect(await stepsOf(orderId)).toEqual(['inventory.release']);
  });
});

it('a reservation being made does not hold up orders for the same SKU (their foreign-key check)', async () => {
  const s = await seedSku('steps-hot', 10);
  const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
  const holder = await db().connect();
  try {
    // The reserve statement, its transaction left open: the SKU's row stays locked as a reserve step holds it.
    const body = reserveStatement(orderId, [{ sku: s, quantity: 1 }]);
    await holder.query('BEGIN');
    expect((await holder.query(body.text, [...body.values])).rows).toEqual([]);
    const placed = await Promise.race([
      placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve).then(() => 'placed'),
      new Promise((r) => setTimeout(() => r('blocked'), 3000)),
    ]);
    expect(placed).toBe('placed'); // with FOR UPDATE on the SKU the insert waits for the holder's commit: 'blocked'
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }
});

it('a database without the one-round-trip functions (migrations not run yet) still runs the step, the general way, and says so once', async () => {
  process.env.SAGA_STEP_ONE_ROUND_TRIP = 'true';
  await closePool();
  const { runStepOnce } = await import('../../../functions/shared/idempotency');
  const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    const orderId = newUser(); // any unique key
    // A statement calling a function the database lacks fails as a missing saga_step_open would (42883).
    const normal = { body: { text: 'SELECT saga_function_that_does_not_exist($1::text)', values: [orderId] }, result: { path: 'normal' } };
    const out = await runStepOnce({ ns: 'order', orderId, step: 'test.missing-functions', normal }, async () => ({ path: 'general' }));
    expect(out).toEqual({ result: { path: 'general' }, replayed: false });
    expect(await stepsOf(orderId)).toEqual(['test.missing-functions']);
    const again = await runStepOnce({ ns: 'order', orderId: `${orderId}-2`, step: 'test.missing-functions', normal }, async () => ({ path: 'general' }));
    expect(again.result).toEqual({ path: 'general' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/two round trips: the database lacks the one-round-trip functions .*saga_function_that_does_not_exist/);
  } finally {
    warn.mockRestore();
  }
});
