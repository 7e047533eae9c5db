/**
 * OrderSagaSweeper on the real engines: every accepted order reaches a terminal state. One sweeper
 * run (invoked like the schedule invokes it) drives an order whose saga never started, restarts one
 * whose execution ended with the order still PENDING (replaying the steps done: one reservation),
 * restarts one whose execution FAILED with CompensationFailed in compensation-only mode (refund,
 * release, CANCELLED; never confirmed), leaves a RUNNING execution alone, reports an order stuck
 * (SagaStuck) once its restarts are exhausted, and does not let more stuck orders than a batch crowd
 * out a newer one. It talks to the runtime's Step Functions over the AWS JSON API (@aws-sdk/client-sfn).
 *
 * The orders here are written as POST /orders writes them, with their order-created message never
 * delivered, and backdated by 240 s: older than this file's threshold (120 s), younger than the
 * default one (300 s) that other runtimes' sweepers on these engines use.
 */
process.env.SAGA_SWEEPER_MIN_AGE_SECONDS = '120';
process.env.SAGA_SWEEPER_MAX_RESTARTS = '2';
process.env.SAGA_SWEEPER_BATCH_SIZE = '500';
process.env.PAYMENT_PROVIDER_TIMEOUT_MS = '10000';
process.env.PAYMENT_PROVIDER_ATTEMPTS = '1';
process.env.PAYMENT_BREAKER_THRESHOLD = '10000';
process.env.SANDBOX_TIMEOUT_CARD_DELAY_MS = '3000';
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { endpoints } from '../../../local/engines/endpoints';
import { createTopics, MemoryExecutionStore, scheduledEvent, startPlatform, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { metrics } from '../../../functions/shared/powertools';
import type { SweepReport } from '../../../functions/order/use-cases/sweep-sagas';
import { cancelByCustomer } from '../../../functions/order/use-cases/saga-steps';
import { SandboxPaymentProvider } from '../../../functions/payment/adapters/sandbox-provider';
import {
  CARDS,
  backdate,
  closeDb,
  collectTopic,
  eventsOfOrder,
  ORDER_EVENT_TOPICS,
  type TopicCollector,
  db,
  deliverOrderCreated,
  executionArnOf,
  migrate,
  newUser,
  orderRow,
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

const AGE = 240;
const store = new MemoryExecutionStore();
let p: Platform;
let kafka: TopicCollector;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  // No consumers, no schedules: only this test starts sagas and runs the sweeper.
  [p, kafka] = await Promise.all([startPlatform(platformOptions({ components: ['sfn', 'aws-endpoint'], executionStore: store })), collectTopic(ORDER_EVENT_TOPICS)]);
});
afterAll(async () => {
  await kafka?.stop();
  await p?.stop();
  await closeDb();
});

const sweep = (): Promise<SweepReport> => p.handlers.invoke<SweepReport>('OrderSagaSweeper', scheduledEvent('OrderSagaSweeper'));
const restartsOf = async (orderId: string): Promise<number> => (await db().query<{ saga_restarts: number }>('SELECT saga_restarts FROM orders WHERE id = $1', [orderId])).rows[0]!.saga_restarts;
const executionsOf = async (orderId: string): Promise<string[]> =>
  (await p.sfn.listExecutions({ stateMachineArn: p.stateMachineArns['OrderSaga']! })).executions.map((e) => e.name).filter((n) => n.startsWith(orderId)).sort();
/** How many events of this type the order's state changes enqueued (sent or not; once the first is seen). */
const eventCount = async (orderId: string, type: string): Promise<number> =>
  until(`a ${type} of order ${orderId}`, async () => {
    const n = (await eventsOfOrder(orderId, kafka)).filter((e) => e.event.type === type).length;
    return n > 0 ? n : undefined;
  }, 30000);

/**
 * An execution of the order saga that ended (as Step Functions keeps it) without settling the order.
 * A FAILED one carries its error and cause as DescribeExecution answers them (CompensationFailed: the
 * ASL's Fail state, reached only from the compensations).
 */
async function endedExecution(orderId: string, name: string, input: unknown, status: 'FAILED' | 'ABORTED' | 'TIMED_OUT', error = 'CompensationFailed', cause = 'A compensation step failed after its retries'): Promise<void> {
  const startDate = new Date(Date.now() - AGE * 1000);
  const created = await store.create({
    executionArn: executionArnOf(p, name),
    stateMachineArn: p.stateMachineArns['OrderSaga']!,
    name,
    status,
    input: JSON.stringify(input),
    startDate,
    stopDate: new Date(startDate.getTime() + 1000),
    ...(status === 'FAILED' ? { error, cause } : {}),
    history: [],
  });
  expect(created.created).toBe(true);
  expect((await p.sfn.describeExecution(executionArnOf(p, name))).status).toBe(status);
}

describe('OrderSagaSweeper', () => {
  it('starts the saga of an order whose order-created message was never delivered, in one run', async () => {
    const s = await seedSku('sw-undelivered', 3, 700);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve, AGE);
    expect(await executionsOf(orderId)).toEqual([]);

    const r = await sweep();
    expect(r.started).toContain(orderId);
    expect([...r.restarted, ...r.running, ...r.stuck, ...r.failed]).not.toContain(orderId);

    const saga = await sagaOf(p, orderId); // named by the order id, as the SagaStarter names it
    expect(saga.status).toBe('SUCCEEDED');
    expect(taskFailures(saga.history)).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CONFIRMED', cancel_error: null });
    expect(await stockOf(s)).toBe(1);
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 2, status: 'RESERVED' }]);
    expect(await paymentOf(orderId)).toEqual({ status: 'CAPTURED', capture_id: expect.any(String) });
    expect(await restartsOf(orderId)).toBe(0);
    expect(await executionsOf(orderId)).toEqual([orderId]);

    // Terminal now: the next run does not look at it again.
    await backdate(orderId, AGE);
    const again = await sweep();
    expect(Object.values(again).filter(Array.isArray).flat()).not.toContain(orderId);
  });

  /** What a customer-cancelled order looks like once the sweeper's compensation-only execution ran. */
  async function expectCompensatedOnly(orderId: string, name: string): Promise<void> {
    const saga = await sagaOf(p, name);
    expect(saga.status).toBe('SUCCEEDED');
    // Straight to the compensations: nothing reserved or authorized for a cancelled order.
    expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
    expect(taskFailures(saga.history)).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'CancelledByCustomer' });
    expect(await eventCount(orderId, 'OrderFailed')).toBe(1);
  }

  it('finishes a customer-cancelled order whose saga died after reserving and authorizing: void, release, CANCELLED', async () => {
    const s = await seedSku('sw-cancelling', 5, 300);
    const user = newUser();
    const { orderId, data } = await placeUndelivered(user, [{ sku: s, quantity: 2 }], CARDS.approve);
    await p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId, items: data.items });
    await p.handlers.invoke('PaymentTasks', { action: 'authorize', orderId, amountCents: 600, currency: 'EUR' });
    expect(await cancelByCustomer({ userId: user, roles: ['customer'] }, orderId)).toEqual({ orderId, status: 'CANCELLING' });
    // Its execution died in the compensations (e.g. the provider was down for longer than the retries).
    await endedExecution(orderId, orderId, data, 'FAILED');
    await backdate(orderId, AGE);
    expect(await stockOf(s)).toBe(3);

    const r = await sweep();
    expect(r.restarted).toContain(orderId);
    await expectCompensatedOnly(orderId, `${orderId}-r1`);
    expect(await paymentOf(orderId)).toEqual({ status: 'VOIDED', capture_id: null });
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 2, status: 'RELEASED' }]);
    expect(await stockOf(s)).toBe(5);
    expect(await eventCount(orderId, 'PaymentAuthorized')).toBe(1); // not authorized again
    expect(await eventCount(orderId, 'InventoryReserved')).toBe(1);
  });

  it('finishes a customer-cancelled order whose saga never ran: nothing reserved, nothing authorized, CANCELLED with OrderFailed', async () => {
    const s = await seedSku('sw-cancelling-never', 4, 300);
    const user = newUser();
    const { orderId } = await placeUndelivered(user, [{ sku: s, quantity: 1 }], CARDS.approve);
    expect((await cancelByCustomer({ userId: user, roles: ['customer'] }, orderId)).status).toBe('CANCELLING');
    await backdate(orderId, AGE);

    const r = await sweep();
    expect(r.started).toContain(orderId);
    await expectCompensatedOnly(orderId, orderId);
    expect(await paymentOf(orderId)).toBeUndefined();
    expect(await reservationsOf(orderId)).toEqual([]);
    expect(await stockOf(s)).toBe(4);
  });

  it('restarts an order whose execution ended with the order still PENDING: the done steps replay, one reservation, one authorization', async () => {
    const s = await seedSku('sw-ended', 5, 400);
    const { orderId, data } = await placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve);
    // What the dead execution had done: reserved the stock and authorized the card, through the real tasks.
    await p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId, items: data.items });
    await p.handlers.invoke('PaymentTasks', { action: 'authorize', orderId, amountCents: 800, currency: 'EUR' });
    expect(await stockOf(s)).toBe(3);
    // It ended before deciding to compensate (timed out, or lost with a local runtime): the restart goes forward.
    await endedExecution(orderId, orderId, data, 'TIMED_OUT');
    await backdate(orderId, AGE);

    const r = await sweep();
    expect(r.restarted).toContain(orderId);
    expect(await restartsOf(orderId)).toBe(1);

    const saga = await sagaOf(p, `${orderId}-r1`);
    expect(saga.status).toBe('SUCCEEDED');
    expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'ReserveInventory', 'AuthorizePayment', 'BeginConfirmation', 'CapturePayment', 'ConfirmOrder', 'PublishOrderCompleted', 'OrderConfirmed']);
    expect((await orderRow(orderId)).status).toBe('CONFIRMED');
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 2, status: 'RESERVED' }]);
    expect(await stockOf(s)).toBe(3); // decremented once
    expect(await eventCount(orderId, 'InventoryReserved')).toBe(1);
    expect(await eventCount(orderId, 'PaymentAuthorized')).toBe(1);
    expect((await paymentOf(orderId))?.status).toBe('CAPTURED');
    expect(await executionsOf(orderId)).toEqual([orderId, `${orderId}-r1`]);
  });

  it('restarts a saga that failed with CompensationFailed after capturing in compensation-only mode: refunded, released, CANCELLED, never confirmed', async () => {
    const s = await seedSku('sw-compensation-failed', 5, 400);
    const { orderId, data } = await placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve);
    // What the dead execution had done, through the real tasks: reserved, authorized, passed the pivot, captured.
    await p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId, items: data.items });
    await p.handlers.invoke('PaymentTasks', { action: 'authorize', orderId, amountCents: 800, currency: 'EUR' });
    await p.handlers.invoke('OrderTasks', { action: 'beginConfirmation', orderId });
    await p.handlers.invoke('PaymentTasks', { action: 'capture', orderId });
    expect(await paymentOf(orderId)).toEqual({ status: 'CAPTURED', capture_id: expect.any(String) });
    expect(await stockOf(s)).toBe(3);
    // Then ConfirmOrder failed, the saga decided to compensate, and RefundPayment ran out of retries
    // (the database was down): the execution FAILED with CompensationFailed, nothing compensated recorded.
    await endedExecution(orderId, orderId, data, 'FAILED', 'CompensationFailed', 'A compensation step failed after its retries; the order needs attention (see the execution history). Alarmed via ExecutionsFailed.');
    await backdate(orderId, AGE);
    expect((await orderRow(orderId)).status).toBe('CONFIRMING');

    const r = await sweep();
    expect(r.restarted).toContain(orderId);
    expect(await restartsOf(orderId)).toBe(1);
    const saga = await sagaOf(p, `${orderId}-r1`);
    expect(saga.status).toBe('SUCCEEDED');
    // Only the compensations: a forward restart would replay the stored capture and confirm an order
    // whose refund may already have reached the provider.
    expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
    expect(taskFailures(saga.history)).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'CompensationFailed' });
    expect((await paymentOf(orderId))?.status).toBe('REFUNDED');
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 2, status: 'RELEASED' }]);
    expect(await stockOf(s)).toBe(5);
    expect(await stepsOf(orderId)).not.toContain('order.confirm');
    expect(await eventCount(orderId, 'OrderFailed')).toBe(1);
    expect((await eventsOfOrder(orderId, kafka)).filter((e) => e.event.type === 'OrderCompleted')).toEqual([]);
    expect(await executionsOf(orderId)).toEqual([orderId, `${orderId}-r1`]);
  });

  it('restarts an execution stopped while RefundPayment ran, after the provider refunded but before the refund was recorded: never confirmed, refunded once', async () => {
    const s = await seedSku('sw-abort-refund', 5, 300);
    const { orderId, data } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId, items: data.items });
    await p.handlers.invoke('PaymentTasks', { action: 'authorize', orderId, amountCents: 300, currency: 'EUR' });
    await p.handlers.invoke('OrderTasks', { action: 'beginConfirmation', orderId });
    await p.handlers.invoke('PaymentTasks', { action: 'capture', orderId });
    // ConfirmOrder failed, the saga compensated: the provider took the refund, then the task died
    // before recording it, and an operator stopped the execution (ABORTED, not CompensationFailed).
    const original = SandboxPaymentProvider.prototype.refund;
    const refund = jest.spyOn(SandboxPaymentProvider.prototype, 'refund').mockImplementationOnce(async function (this: SandboxPaymentProvider, req, signal) {
      await original.call(this, req, signal);
      throw new Error('the process died after the provider refunded');
    });
    try {
      await expect(p.handlers.invoke('PaymentTasks', { action: 'refund', orderId })).rejects.toThrow('the process died after the provider refunded');
    } finally {
      refund.mockRestore();
    }
    expect((await paymentOf(orderId))?.status).toBe('CAPTURED');
    expect(await stepsOf(orderId)).toEqual(['inventory.reserve', 'order.begin-confirmation', 'payment.authorize', 'payment.capture', 'payment.refund-begun']);
    await endedExecution(orderId, orderId, data, 'ABORTED');
    await backdate(orderId, AGE);

    const provider = jest.spyOn(SandboxPaymentProvider.prototype, 'refund');
    try {
      expect((await sweep()).restarted).toContain(orderId);
      const saga = await sagaOf(p, `${orderId}-r1`);
      // A forward restart (ABORTED): the reserve replays, the authorize refuses because the refund
      // began, and the compensations finish; the stored capture is never replayed into a confirm.
      expect(saga.status).toBe('SUCCEEDED');
      expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'ReserveInventory', 'AuthorizePayment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
      expect(taskFailures(saga.history)).toEqual([{ state: 'AuthorizePayment', error: 'PaymentCompensatedError', cause: expect.stringContaining('already compensated') }]);
      // The refund again under the same idempotency key: the provider's same refund, now recorded.
      expect(provider.mock.calls.map((c) => c[0].idempotencyKey)).toEqual([`${orderId}:payment.refund`]);
    } finally {
      provider.mockRestore();
    }
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'PaymentCompensatedError' });
    expect((await paymentOf(orderId))?.status).toBe('REFUNDED');
    expect(await stockOf(s)).toBe(5);
    expect(await stepsOf(orderId)).not.toContain('order.confirm');
    expect((await eventsOfOrder(orderId, kafka)).filter((e) => e.event.type === 'OrderCompleted')).toEqual([]);
  });

  it('finishes the refund of a CONFIRMED order whose saga compensated after a lost ConfirmOrder answer and died in RefundPayment: REFUNDED, released, CANCELLED', async () => {
    const s = await seedSku('sw-confirmed-refund', 5, 300);
    const { orderId, data } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId, items: data.items });
    await p.handlers.invoke('PaymentTasks', { action: 'authorize', orderId, amountCents: 300, currency: 'EUR' });
    await p.handlers.invoke('OrderTasks', { action: 'beginConfirmation', orderId });
    await p.handlers.invoke('PaymentTasks', { action: 'capture', orderId });
    await p.handlers.invoke('OrderTasks', { action: 'confirm', orderId });
    // ConfirmOrder committed but its answer was lost: the saga compensated; the provider refunded and
    // every RefundPayment attempt died before its record (CompensationFailed). The order is CONFIRMED.
    const original = SandboxPaymentProvider.prototype.refund;
    const dying = jest.spyOn(SandboxPaymentProvider.prototype, 'refund').mockImplementation(async function (this: SandboxPaymentProvider, req, signal) {
      await original.call(this, req, signal);
      throw new Error('the database went away after the provider refunded');
    });
    try {
      await expect(p.handlers.invoke('PaymentTasks', { action: 'refund', orderId })).rejects.toThrow(/the database went away/);
    } finally {
      dying.mockRestore();
    }
    await endedExecution(orderId, orderId, data, 'FAILED', 'CompensationFailed', 'A compensation step failed after its retries');
    await db().query("UPDATE processed_messages SET processed_at = processed_at - make_interval(secs => $2) WHERE order_id = $1 AND step = 'payment.refund-begun'", [orderId, AGE]);
    await backdate(orderId, AGE);
    expect((await orderRow(orderId)).status).toBe('CONFIRMED');
    expect((await paymentOf(orderId))?.status).toBe('CAPTURED');

    const r = await sweep();
    expect(r.restarted).toContain(orderId);
    const saga = await sagaOf(p, `${orderId}-r1`);
    expect(saga.status).toBe('SUCCEEDED');
    expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
    expect(taskFailures(saga.history)).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'RefundUnfinishedError' });
    expect((await paymentOf(orderId))?.status).toBe('REFUNDED');
    expect(await stockOf(s)).toBe(5);
    // The begun record went with the refund's own record: the next run finds nothing to finish.
    expect(await stepsOf(orderId)).toEqual(['inventory.release', 'inventory.reserve', 'order.begin-confirmation', 'order.cancel', 'order.confirm', 'payment.authorize', 'payment.capture', 'payment.refund']);
    expect(await eventCount(orderId, 'OrderFailed')).toBe(1);
    await backdate(orderId, AGE);
    await db().query('UPDATE orders SET saga_checked_at = saga_checked_at - make_interval(secs => $2) WHERE id = $1', [orderId, AGE]);
    const again = await sweep();
    expect([...again.restarted, ...again.started, ...again.stuck, ...again.running]).not.toContain(orderId);
  });

  it('restarts a saga that died mid-compensation: it finishes compensating, never authorizes the card, never captures', async () => {
    const s = await seedSku('sw-compensating', 2);
    const { orderId, data } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId, items: data.items });
    await p.handlers.invoke('InventoryTasks', { action: 'release', orderId });
    await endedExecution(orderId, orderId, data, 'ABORTED');
    await backdate(orderId, AGE);

    expect((await sweep()).restarted).toContain(orderId);
    const saga = await sagaOf(p, `${orderId}-r1`);
    expect(saga.status).toBe('SUCCEEDED');
    // The replayed reserve is refused (its release is recorded), so the restart goes straight to the
    // compensations: no hold is placed on the card only to be voided.
    expect(taskFailures(saga.history)).toEqual([{ state: 'ReserveInventory', error: 'ReservationCompensatedError', cause: expect.stringContaining('already released') }]);
    expect(statesEntered(saga.history)).toEqual(['StartOrCompensate', 'ReserveInventory', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed', 'OrderCancelled']);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CANCELLED', cancel_error: 'ReservationCompensatedError' });
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 1, status: 'RELEASED' }]);
    expect(await stockOf(s)).toBe(2);
    expect(await paymentOf(orderId)).toBeUndefined();
    expect(await stepsOf(orderId)).not.toContain('payment.authorize');
    expect(await stepsOf(orderId)).not.toContain('payment.capture');
  });

  it('leaves an order alone while its execution is RUNNING, and redelivered order-created messages start nothing', async () => {
    const s = await seedSku('sw-running', 2);
    const { orderId, event } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.timeout);
    expect(await deliverOrderCreated(p, event)).toEqual({ started: 1, duplicates: 0, deadLettered: 0 });
    // Reserved; the provider takes 3 s to answer the authorization: the execution is RUNNING.
    await until('the reservation', async () => ((await reservationsOf(orderId)).length > 0 ? true : undefined));
    await backdate(orderId, AGE);

    const r = await sweep();
    expect(r.running).toContain(orderId);
    expect([...r.started, ...r.restarted, ...r.stuck, ...r.failed]).not.toContain(orderId);
    expect((await p.sfn.describeExecution(executionArnOf(p, orderId))).status).toBe('RUNNING');
    expect(await executionsOf(orderId)).toEqual([orderId]);
    expect(await restartsOf(orderId)).toBe(0);

    // The same message again mid-saga: twice in one batch, then once more on its own. Step Functions
    // answers a repeat of a RUNNING execution like its start; the starter still counts duplicates.
    await new Promise((r) => setTimeout(r, 1100)); // past the starter's clock margin (REPEAT_MARGIN_MS)
    expect(await deliverOrderCreated(p, event, event)).toEqual({ started: 0, duplicates: 2, deadLettered: 0 });
    expect(await deliverOrderCreated(p, event)).toEqual({ started: 0, duplicates: 1, deadLettered: 0 });
    expect((await p.sfn.describeExecution(executionArnOf(p, orderId))).status).toBe('RUNNING');

    // It settles by itself (the time-out card ends in compensation); only the one execution ran.
    const saga = await sagaOf(p, orderId);
    expect(saga.status).toBe('SUCCEEDED');
    expect((await orderRow(orderId)).status).toBe('CANCELLED');
    expect(await executionsOf(orderId)).toEqual([orderId]);
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 1, status: 'RELEASED' }]);
  });

  it('reports an order stuck once its restarts are exhausted: error log and SagaStuck metric, no new execution', async () => {
    const s = await seedSku('sw-stuck', 1);
    const { orderId, data } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve, AGE);
    await db().query('UPDATE orders SET saga_restarts = 2 WHERE id = $1', [orderId]);
    await endedExecution(orderId, `${orderId}-r2`, data, 'FAILED');
    const added = jest.spyOn(metrics, 'addMetric');
    try {
      const r = await sweep();
      expect(r.stuck).toContain(orderId);
      expect([...r.started, ...r.restarted, ...r.running]).not.toContain(orderId);
      expect(added).toHaveBeenCalledWith('SagaStuck', 'Count', 1);
      expect(await executionsOf(orderId)).toEqual([`${orderId}-r2`]);
      expect((await orderRow(orderId)).status).toBe('PENDING');
      expect(await restartsOf(orderId)).toBe(2);
    } finally {
      added.mockRestore();
      // Do not leave a stuck order for the other runtimes' sweepers on these engines.
      await db().query("UPDATE orders SET status = 'CANCELLED', cancel_error = 'TestCleanup' WHERE id = $1", [orderId]);
    }
  });

  it('does not let stuck orders crowd out a newer one: more of them than the batch, one run still starts the newer order and reports some stuck (SagaStuck)', async () => {
    const batch = Number(process.env.SAGA_SWEEPER_BATCH_SIZE);
    const s = await seedSku('sw-crowd', 3, 500);
    const user = newUser();
    // More orders than a batch whose restarts are used up (5: past this file's max and the default),
    // older than the newer order and last looked at before the threshold, their executions gone:
    // each is reported stuck. 280 s: past this file's threshold, not the default one other sweepers use.
    const stuck = (
      await db().query<{ id: string }>(
        `INSERT INTO orders (id, user_id, status, amount_cents, currency, payment_token, created_at, updated_at, saga_restarts, saga_checked_at)
         SELECT gen_random_uuid(), $1, 'PENDING', 500, 'EUR', $2, now() - make_interval(secs => $3), now() - make_interval(secs => $3), 5, now() - make_interval(secs => $3)
         FROM generate_series(1, $4) RETURNING id`,
        [user, CARDS.approve, AGE + 40, batch + 10],
      )
    ).rows.map((x) => x.id);
    const isStuck = new Set(stuck);
    const { orderId } = await placeUndelivered(user, [{ sku: s, quantity: 1 }], CARDS.approve, AGE);
    const added = jest.spyOn(metrics, 'addMetric');
    try {
      const r = await sweep();
      expect(r.started).toContain(orderId);
      // The stuck ones are still reported every run (the SagaStuck alarm), a few at a time, in turn.
      const first = r.stuck.filter((id) => isStuck.has(id));
      expect(first.length).toBeGreaterThan(0);
      expect(first.length).toBeLessThanOrEqual(Math.ceil(batch / 10));
      expect(added).toHaveBeenCalledWith('SagaStuck', 'Count', 1);
      expect([...r.started, ...r.restarted].filter((id) => isStuck.has(id))).toEqual([]);
      const second = (await sweep()).stuck.filter((id) => isStuck.has(id));
      expect(second.length).toBeGreaterThan(0);
      expect(second.filter((id) => first.includes(id))).toEqual([]);

      expect((await sagaOf(p, orderId)).status).toBe('SUCCEEDED');
      expect((await orderRow(orderId)).status).toBe('CONFIRMED');
    } finally {
      added.mockRestore();
      await db().query("UPDATE orders SET status = 'CANCELLED', cancel_error = 'TestCleanup' WHERE id = ANY($1::uuid[])", [stuck]);
    }
  });
});
