/**
 * PostgreSQL unreachable while a saga runs (the order already accepted). The saga's tasks reach the
 * database through a TCP proxy this file controls; "down" cuts every open connection and every new
 * one, as a failover or a restart does.
 *  - An outage shorter than ReserveInventory's retries: the task's failures are TransientErrors, the
 *    retry after the database is back succeeds, and the order is CONFIRMED with one reservation and
 *    one capture.
 *  - An outage longer than every retry, compensations included: the execution ends FAILED with
 *    CompensationFailed and the order stays PENDING with nothing held (accepted, not lost); once the
 *    database is back the OrderSagaSweeper restarts the saga and it is CONFIRMED, reserved and
 *    charged once.
 */
process.env.SAGA_SWEEPER_MIN_AGE_SECONDS = '120';
process.env.SAGA_SWEEPER_BATCH_SIZE = '500';
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { createServer, connect, type Server, type Socket } from 'node:net';
import { endpoints } from '../../../local/engines/endpoints';
import { createTopics, MemoryExecutionStore, scheduledEvent, startPlatform, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { closePool } from '../../../functions/shared/adapters/pg';
import type { SweepReport } from '../../../functions/order/use-cases/sweep-sagas';
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
  sagaOf,
  seedSku,
  statesEntered,
  stepsOf,
  stockOf,
  taskFailures,
  until,
} from './helpers';

jest.setTimeout(120000);

/** A TCP proxy to the real PostgreSQL that can be cut: `down()` resets every connection, open or new. */
class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private isDown = false;
  /** Connections refused while down: each is one attempt of a task to reach the database. */
  refused = 0;
  readonly server: Server;
  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      client.on('error', () => undefined);
      if (this.isDown) {
        this.refused++;
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as { port: number }).port;
  }
  down(): void {
    this.isDown = true;
    this.refused = 0;
    for (const s of this.sockets) s.resetAndDestroy();
  }
  up(): void {
    this.isDown = false;
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const real = new URL(endpoints().pgUrl);
const proxy = new CuttableProxy({ host: real.hostname, port: Number(real.port) });
const AGE = 240;
let p: Platform;

beforeAll(async () => {
  // The sagas publish their events: the topics must exist (this file may be the first on fresh engines).
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  db(); // the test's own pool, made now: it reads the real database directly (endpoints() follows PG_URL)
  const port = await proxy.listen();
  const viaProxy = new URL(endpoints().pgUrl);
  viaProxy.port = String(port);
  process.env.PG_URL = viaProxy.toString(); // the handlers' pool (created on first use) goes through the proxy
  p = await startPlatform(
    platformOptions({
      components: ['sfn', 'aws-endpoint'],
      executionStore: new MemoryExecutionStore(),
      // ReserveInventory retries every 400 ms (instead of 1, 2, 4 s): the first test restores the
      // database between its attempts. Every other retry is immediate.
      retryIntervalOverrides: { ReserveInventory: 400, AuthorizePayment: 0, BeginConfirmation: 0, CapturePayment: 0, ConfirmOrder: 0, PublishOrderCompleted: 0, RefundPayment: 0, ReleaseInventory: 0, CancelOrder: 0, PublishOrderFailed: 0 },
    }),
  );
});
afterAll(async () => {
  proxy.up();
  await p?.stop();
  await closeProducer();
  await closePool();
  await proxy.close();
  await closeDb();
});

describe('PostgreSQL unreachable during a saga', () => {
  it('an outage shorter than the retries: the task fails with TransientError, the retry after the database is back succeeds, CONFIRMED once', async () => {
    const s = await seedSku('pg-blip', 5, 400);
    const { orderId, event } = await placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve);

    proxy.down();
    await deliverOrderCreated(p, event);
    await until('the saga to try the database while it is down', () => (proxy.refused > 0 ? true : undefined), 20000, 10);
    proxy.up();

    const saga = await sagaOf(p, orderId);
    expect(saga.status).toBe('SUCCEEDED');
    const failures = taskFailures(saga.history);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const f of failures) expect(f).toMatchObject({ state: 'ReserveInventory', error: 'TransientError' });
    expect(statesEntered(saga.history)).not.toContain('ReleaseInventory');
    expect(await orderRow(orderId)).toMatchObject({ status: 'CONFIRMED', cancel_error: null });
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 2, status: 'RESERVED' }]);
    expect(await stockOf(s)).toBe(3);
    expect(await paymentOf(orderId)).toEqual({ status: 'CAPTURED', capture_id: expect.any(String) });
  });

  it('an outage longer than every retry: FAILED with CompensationFailed, the order PENDING with nothing held; back up, the sweeper restarts it: CONFIRMED, reserved and charged once', async () => {
    const s = await seedSku('pg-outage', 5, 400);
    const { orderId, event } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);

    proxy.down();
    await deliverOrderCreated(p, event);
    const failed = await sagaOf(p, orderId);
    proxy.up();

    // Every task failed on the database; the compensations too, so the execution fails (alarmed) rather
    // than claiming a cancellation it could not record.
    expect(failed.status).toBe('FAILED');
    const failures = taskFailures(failed.history);
    expect(failures.filter((f) => f.state === 'ReserveInventory').map((f) => f.error)).toEqual(['TransientError', 'TransientError', 'TransientError', 'TransientError']);
    expect(failures.filter((f) => f.state === 'ReleaseInventory').length).toBe(7);
    expect(failures.every((f) => f.error === 'TransientError')).toBe(true);
    expect(statesEntered(failed.history)).toContain('CompensationFailed');
    expect(statesEntered(failed.history)).not.toContain('AuthorizePayment');
    // Accepted, not lost, nothing held.
    expect(await orderRow(orderId)).toMatchObject({ status: 'PENDING' });
    expect(await reservationsOf(orderId)).toEqual([]);
    expect(await stockOf(s)).toBe(5);
    expect(await paymentOf(orderId)).toBeUndefined();

    // No step of the order is recorded: after CompensationFailed the sweeper goes forward (nothing to
    // undo) rather than running only the compensations, which it does when a step was recorded.
    expect(await stepsOf(orderId)).toEqual([]);
    await backdate(orderId, AGE);
    const r = await p.handlers.invoke<SweepReport>('OrderSagaSweeper', scheduledEvent('OrderSagaSweeper'));
    expect(r.restarted).toContain(orderId);
    const restarted = await sagaOf(p, `${orderId}-r1`);
    expect(restarted.status).toBe('SUCCEEDED');
    expect(taskFailures(restarted.history)).toEqual([]);
    expect(await orderRow(orderId)).toMatchObject({ status: 'CONFIRMED' });
    expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 1, status: 'RESERVED' }]);
    expect(await stockOf(s)).toBe(4);
    expect(await paymentOf(orderId)).toEqual({ status: 'CAPTURED', capture_id: expect.any(String) });
  });
});
