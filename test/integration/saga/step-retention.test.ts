/**
 * SagaStepRecordRetention on the real PostgreSQL, invoked as its schedule invokes it: the step
 * records (`processed_messages`) of orders terminal and unchanged for the retention go; those of
 * orders not terminal, changed within the retention, or younger stay; the orders, payments and
 * reservations (business records) are never touched; the watermark moves to the cutoff and a second
 * run finds nothing. The sagas that write the records run for real (SagaStarter -> the local Step
 * Functions -> the task handlers).
 *
 * The other test files run this job too, in every platform they start, on the same database: the
 * integration setup (test/setup/integration-env.ts) gives them a ten-year retention, so their runs
 * neither delete what this file checks nor move the watermark past where this file puts it.
 */
process.env.STEP_RECORD_RETENTION_DAYS = '30';
process.env.STEP_RECORD_RETENTION_WINDOW_ORDERS = '100';
process.env.PAYMENT_PROVIDER_ATTEMPTS = '1';
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { endpoints } from '../../../local/engines/endpoints';
import { createTopics, MemoryExecutionStore, scheduledEvent, startPlatform, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import type { StepRecordRetentionReport } from '../../../functions/order/use-cases/purge-step-records';
import {
  CARDS,
  backdate,
  closeDb,
  db,
  deliverOrderCreated,
  migrate,
  newUser,
  orderRow,
  paymentOf,
  placeUndelivered,
  platformOptions,
  reservationsOf,
  seedSku,
  stepsOf,
  waitForOrderStatus,
} from './helpers';

jest.setTimeout(120000);

const DAY = 86400;
let p: Platform;
beforeAll(async () => {
  // The sagas publish their events: the topics must exist (this file may be the first on fresh engines).
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  p = await startPlatform(platformOptions({ components: ['sfn', 'aws-endpoint'], executionStore: new MemoryExecutionStore() }));
});
afterAll(async () => {
  await p?.stop();
  await closeProducer();
  await closeDb();
});

type Report = Omit<StepRecordRetentionReport, 'watermark'> & { watermark: string | null; lagHours: number };
const retention = (): Promise<Report> => p.handlers.invoke<Report>('SagaStepRecordRetention', scheduledEvent('SagaStepRecordRetention'));
const watermark = async (): Promise<Date> => (await db().query<{ w: Date }>('SELECT watermark_created_at AS w FROM saga_step_retention')).rows[0]!.w;

/** An order taken through its whole saga (the SagaStarter starts it, as the order-created consumer would). */
async function settledOrder(sku: string, card: string, status: 'CONFIRMED' | 'CANCELLED'): Promise<string> {
  const { orderId, event } = await placeUndelivered(newUser(), [{ sku, quantity: 1 }], card);
  await deliverOrderCreated(p, event);
  expect((await waitForOrderStatus(orderId)).status).toBe(status);
  return orderId;
}

describe('SagaStepRecordRetention', () => {
  it('deletes the step records of orders terminal and unchanged for the retention, keeps every other, and a second run finds nothing', async () => {
    const s = await seedSku('retention', 10, 500);
    const confirmed = await settledOrder(s, CARDS.approve, 'CONFIRMED');
    const cancelled = await settledOrder(s, CARDS.decline, 'CANCELLED');
    const changedLately = await settledOrder(s, CARDS.approve, 'CONFIRMED');
    const young = await settledOrder(s, CARDS.approve, 'CONFIRMED');
    // CONFIRMED with a refund that began and never finished: the sweeper finds it by that record.
    const unfinished = await settledOrder(s, CARDS.approve, 'CONFIRMED');
    await db().query("INSERT INTO processed_messages (order_id, step) VALUES ($1, 'payment.refund-begun')", [unfinished]);
    // A saga that died after reserving: PENDING, with one step recorded.
    const { orderId: pending, data } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await p.handlers.invoke('InventoryTasks', { action: 'reserve', orderId: pending, items: data.items });

    const before = new Map<string, string[]>();
    for (const id of [confirmed, cancelled, changedLately, young, pending, unfinished]) before.set(id, await stepsOf(id));
    expect(before.get(confirmed)!.length).toBeGreaterThanOrEqual(5);
    expect(before.get(cancelled)!.length).toBeGreaterThanOrEqual(3);
    expect(before.get(pending)!.length).toBe(1);

    for (const id of [confirmed, cancelled, changedLately, pending, unfinished]) await backdate(id, 40 * DAY);
    await db().query(`UPDATE orders SET updated_at = now() - interval '1 day' WHERE id = $1`, [changedLately]); // e.g. settled late
    await backdate(young, 20 * DAY);
    // The watermark just before these orders: the window walk covers them and whatever else is that old.
    await db().query(`UPDATE saga_step_retention SET watermark_created_at = now() - interval '41 days'`);

    const r = await retention();

    expect(await stepsOf(confirmed)).toEqual([]);
    expect(await stepsOf(cancelled)).toEqual([]);
    expect(await stepsOf(changedLately)).toEqual(before.get(changedLately));
    expect(await stepsOf(pending)).toEqual(before.get(pending));
    expect(await stepsOf(young)).toEqual(before.get(young));
    expect(await stepsOf(unfinished)).toEqual(before.get(unfinished));
    expect(before.get(unfinished)).toContain('payment.refund-begun');
    // The report: the deleted ones counted, the kept ones named, the young one not looked at.
    expect(r.records).toBeGreaterThanOrEqual(before.get(confirmed)!.length + before.get(cancelled)!.length);
    expect(r.purgedOrders).toBeGreaterThanOrEqual(2);
    expect(r.kept).toEqual(expect.arrayContaining([changedLately, pending, unfinished]));
    expect(r.keptCount).toBe(r.kept.length);
    expect(r.kept).not.toContain(confirmed);
    expect(r.kept).not.toContain(young);
    expect(r.caughtUp).toBe(true);
    expect(r.lagHours).toBe(0);
    expect(r.windows).toBeGreaterThanOrEqual(1);
    // The watermark is at the cutoff (now - 30 days), give or take the run's own duration.
    const cutoff = Date.now() - 30 * DAY * 1000;
    expect(Math.abs((await watermark()).getTime() - cutoff)).toBeLessThan(60000);
    expect(new Date(r.watermark!).getTime()).toBe((await watermark()).getTime());

    // Business records stay.
    expect(await orderRow(confirmed)).toMatchObject({ status: 'CONFIRMED' });
    expect(await orderRow(cancelled)).toMatchObject({ status: 'CANCELLED' });
    expect(await paymentOf(confirmed)).toEqual({ status: 'CAPTURED', capture_id: expect.any(String) });
    expect(await reservationsOf(confirmed)).toEqual([{ sku: s, quantity: 1, status: 'RESERVED' }]);

    // Nothing left behind the cutoff: the next run looks at the few milliseconds since, and deletes nothing.
    const again = await retention();
    expect(again).toMatchObject({ records: 0, purgedOrders: 0, kept: [], keptCount: 0, caughtUp: true, windows: 1 });
    expect(await stepsOf(pending)).toEqual(before.get(pending));
  });

  it('walks a backlog in windows that widen over empty stretches, and resumes where it stopped', async () => {
    // Orders 100, 90, ..., 40 days old, terminal; the watermark 200 days back (a long-idle job).
    const s = await seedSku('retention-backlog', 10, 100);
    const ids: string[] = [];
    for (const age of [100, 90, 80, 70, 60, 50, 40]) {
      const id = await settledOrder(s, CARDS.approve, 'CONFIRMED');
      await backdate(id, age * DAY);
      ids.push(id);
    }
    await db().query(`UPDATE saga_step_retention SET watermark_created_at = now() - interval '200 days'`);

    const r = await retention();
    for (const id of ids) expect(await stepsOf(id)).toEqual([]);
    expect(r.caughtUp).toBe(true);
    expect(r.purgedOrders).toBeGreaterThanOrEqual(ids.length);
    // 170 days from a 60 s window: doubling reaches a day per window in 11 windows; without the doubling
    // it would take ~245 000.
    expect(r.windows).toBeGreaterThan(1);
    expect(r.windows).toBeLessThan(200);
  });

  it('refuses a retention under 15 days at cold start, naming the variable and why', () => {
    const saved = process.env.STEP_RECORD_RETENTION_DAYS;
    process.env.STEP_RECORD_RETENTION_DAYS = '7';
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        expect(() => require('../../../functions/order/handlers/step-record-retention')).toThrow(
          /invalid environment: STEP_RECORD_RETENTION_DAYS: must be at least 15 days: an order-created message can come back for 14 days \(7 on its topic, 7 on the dead-letter topic\)/,
        );
      });
    } finally {
      process.env.STEP_RECORD_RETENTION_DAYS = saved;
    }
  });
});
