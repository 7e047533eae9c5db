/**
 * The OrderOutboxRelay handler's OutboxOldestUnsentSeconds metric (the age of the oldest row still in
 * the outbox after the run; an alarm watches it), on the real PostgreSQL.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { endpoints } from '../../../local/engines/endpoints';
import { closePool, withTransaction } from '../../../functions/shared/adapters/pg';
import * as outbox from '../../../functions/shared/outbox';
import { enqueue } from '../../../functions/shared/outbox';
import { envelope } from '../../../functions/shared/events';
import { metrics } from '../../../functions/shared/powertools';
import { handler } from '../../../functions/order/handlers/outbox-relay';
import { closeDb, db, migrate } from '../saga/helpers';

jest.setTimeout(60000);

beforeAll(async () => {
  process.env.PG_URL ??= endpoints().pgUrl;
  await migrate();
});
// The metric, not the sweep: the handler's relay would take other test files' old rows from under
// them (their own relays' runs are checked in outbox.test.ts).
let relay: jest.SpyInstance;
beforeEach(() => {
  relay = jest.spyOn(outbox, 'relayPending').mockResolvedValue({ published: 0, failed: 0, held: 0 });
});
afterEach(() => relay.mockRestore());
afterAll(async () => {
  await closePool();
  await closeDb();
});

it('reports the age of the oldest row left in the outbox after the run, also when a younger row has a lower id', async () => {
  const key = randomUUID();
  const event = (type: string) => envelope({ type, source: 'shop.test', orderId: key, data: {} });
  // A fresh row first, then one that is 10 minutes old but has the higher id (a transaction that
  // took its id late and committed an old event; a CI run had other files' fresh rows ahead of it).
  const [young, row] = await withTransaction((tx) => enqueue(tx, [{ topic: 'inventory-events', key, event: event('Young') }, { topic: 'inventory-events', key, event: event('Old') }]));
  await db().query("UPDATE outbox SET created_at = now() - interval '10 minutes' WHERE id = $1", [row!.id]);
  const holder = await db().connect();
  const added = jest.spyOn(metrics, 'addMetric');
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM outbox WHERE id = ANY($1::bigint[]) FOR UPDATE', [[young!.id, row!.id]]); // so no platform's relay sends them meanwhile
    await handler({});
    const reported = added.mock.calls.filter(([name]) => name === 'OutboxOldestUnsentSeconds');
    expect(reported).toHaveLength(1);
    const [, unit, value] = reported[0]!;
    expect(unit).toBe(MetricUnit.Seconds);
    // Other files' rows may be older still; ours is among the first 1000 unsent rows, so at least its age.
    expect(value).toBeGreaterThanOrEqual(600);
    expect(value).toBeLessThan(365 * 24 * 3600);
  } finally {
    added.mockRestore();
    await holder.query('ROLLBACK').catch(() => undefined);
    holder.release();
    await db().query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [[young!.id, row!.id]]);
  }
});

it('reports it also when the run had nothing to send (the other metrics are then left out)', async () => {
  const added = jest.spyOn(metrics, 'addMetric');
  try {
    await handler({});
    expect(added.mock.calls.map(([name]) => name)).toEqual(['OutboxOldestUnsentSeconds']);
    const reported = added.mock.calls.filter(([name]) => name === 'OutboxOldestUnsentSeconds');
    expect(reported).toHaveLength(1);
    expect(reported[0]![2]).toBeGreaterThanOrEqual(0);
  } finally {
    added.mockRestore();
  }
});
