/**
 * A saga task that outlives its Lambda's timeout (a database stall: here the order's step lock held by
 * another session, as a failover or a long lock would) fails with Sandbox.Timedout, which the state
 * machine retries like a transient error: the order is CONFIRMED once the stall ends, not cancelled.
 * Locally the timed-out invocation is not killed (a Lambda's would be) and finishes once the lock is
 * free; the retry then replays its recorded step, so the stock still moves once.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { randomUUID } from 'node:crypto';
import { startPlatform, type Platform } from '../../../local/runtime';
import { CARDS, closeDb, db, deliverOrderCreated, executionArnOf, migrate, orderRow, paymentOf, placeUndelivered, platformOptions, reservationsOf, sagaOf, seedSku, stockOf, taskFailures, until } from './helpers';

jest.setTimeout(120000);

const LAMBDA_TIMEOUT_MS = 1500;
let p: Platform;
beforeAll(async () => {
  await migrate();
  // No consumers or schedules: only this test starts its sagas. Every handler times out after 1.5 s.
  p = await startPlatform(platformOptions({ components: ['sfn', 'aws-endpoint'], handlerTimeoutMs: LAMBDA_TIMEOUT_MS }));
});
afterAll(async () => {
  await p?.stop();
  await closeDb();
});

it('retries a task that timed out (Sandbox.Timedout) and confirms the order once the stall is over', async () => {
  const s = await seedSku('task-timeout', 3);
  const { orderId, event } = await placeUndelivered(`user-${randomUUID().slice(0, 8)}`, [{ sku: s, quantity: 1 }], CARDS.approve);

  // The stall: another session holds the order's inventory step lock (namespace 41002, see
  // functions/shared/idempotency.ts), so ReserveInventory waits past its Lambda's timeout.
  const holder = await db().connect();
  let released = false;
  try {
    await holder.query('SELECT pg_advisory_lock(41002, hashtext($1))', [orderId]);
    expect(await deliverOrderCreated(p, event)).toEqual({ started: 1, duplicates: 0, deadLettered: 0 });
    const arn = executionArnOf(p, orderId);
    await until('ReserveInventory to time out', async () => (taskFailures(await p.sfn.getExecutionHistory(arn)).some((f) => f.error === 'Sandbox.Timedout') ? true : undefined), 30000, 50);
    expect((await p.sfn.describeExecution(arn)).status).toBe('RUNNING'); // retried, not compensated
    await holder.query('SELECT pg_advisory_unlock(41002, hashtext($1))', [orderId]);
    released = true;
  } finally {
    if (!released) await holder.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    holder.release();
  }

  const saga = await sagaOf(p, orderId);
  expect(saga.status).toBe('SUCCEEDED');
  const failures = taskFailures(saga.history);
  expect(failures.length).toBeGreaterThanOrEqual(1);
  for (const f of failures) expect(f).toEqual({ state: 'ReserveInventory', error: 'Sandbox.Timedout', cause: expect.stringContaining('timed out') });
  expect(saga.history.filter((e) => e.type === 'StateRetried' && e.stateName === 'ReserveInventory').length).toBe(failures.length);
  expect((await orderRow(orderId)).status).toBe('CONFIRMED');
  expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 1, status: 'RESERVED' }]);
  expect(await stockOf(s)).toBe(2);
  expect((await paymentOf(orderId))?.status).toBe('CAPTURED');
});
