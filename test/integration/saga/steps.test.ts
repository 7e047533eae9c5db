/**
 * The saga's task handlers on the real PostgreSQL, without the runtime, in both statement modes:
 * prepared (a direct connection: the local engines) and inline (behind RDS Proxy, where PREPARE
 * would pin the session). Each step sends its own statement in the round trip that takes the
 * order's lock (runStepOnce's body); these tests pin what that must keep: a replayed step changes
 * nothing, a refused step rolls its body back, and a held reservation never blocks order intake
 * for the same SKU.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { endpoints } from '../../../local/engines/endpoints';
import { closePool } from '../../../functions/shared/adapters/pg';
import { reserveStatement } from '../../../functions/inventory/adapters/pg-inventory';
import { handler as inventory } from '../../../functions/inventory/handlers/tasks';
import { handler as order } from '../../../functions/order/handlers/tasks';
import { handler as payment } from '../../../functions/payment/handlers/tasks';
import { CARDS, closeDb, db, migrate, newUser, orderRow, paymentOf, placeUndelivered, reservationsOf, seedSku, stepsOf, stockOf } from './helpers';

jest.setTimeout(60000);
const saved = process.env.PG_PREPARED_STATEMENTS;
beforeAll(async () => {
  process.env.PG_URL ??= endpoints().pgUrl;
  await migrate();
});
afterAll(async () => {
  await closePool();
  await closeDb();
  if (saved === undefined) delete process.env.PG_PREPARED_STATEMENTS;
  else process.env.PG_PREPARED_STATEMENTS = saved;
});

const errorOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => ({ name: e.name, message: e.message }));

describe.each([
  ['prepared', 'true'],
  ['inline (RDS Proxy)', 'false'],
])('saga steps, %s statements', (_mode, flag) => {
  beforeAll(async () => {
    await closePool(); // the pool's client class follows the setting
    process.env.PG_PREPARED_STATEMENTS = flag;
  });

  it('runs the happy path to CONFIRMED, and a replay of every step changes nothing', async () => {
    const s = await seedSku(`steps-ok-${flag}`, 5, 1250);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve);
    const items = [{ sku: s, quantity: 2 }];
    const run = async () => [
      await inventory({ action: 'reserve', orderId, items }),
      await payment({ action: 'authorize', orderId, amountCents: 2500, currency: 'EUR', paymentToken: CARDS.approve }),
      await order({ action: 'beginConfirmation', orderId }),
      await payment({ action: 'capture', orderId }),
      await order({ action: 'confirm', orderId }),
    ];
    const first = await run();
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
    const outbox = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE message_key = $1', [orderId]);
    expect(outbox.rows[0]!.n).toBe(5); // OrderCreated, InventoryReserved, PaymentAuthorized, PaymentCaptured, OrderCompleted: once each
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
    await payment({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR', paymentToken: CARDS.approve });
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
