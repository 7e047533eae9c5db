/**
 * POST /inventory/{sku}/restock on the real engines: HTTP through the local gateway (real API
 * Gateway proxy event + JWT authorizer), PostgreSQL. Pins the restock's idempotency (same key and
 * body: one restock, same answer; same key, other body: 409), its answer at the stock column's
 * limit (a 400 naming `quantity`, not a 500), and that a restock without a key is NOT idempotent.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { startPlatform, type Platform } from '../../../local/runtime';
import { createTopics } from '../../../local/runtime';
import { endpoints } from '../../../local/engines/endpoints';
import { manifest } from '../../../lib/manifest';
import { envelope } from '../../../functions/shared/events';
import { relayPending } from '../../../functions/shared/outbox';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { RUN, apiAs, closeDb, collectTopic, db, migrate, newUser, seedSku, stockOf, until, type Api } from '../saga/helpers';

jest.setTimeout(60000);

/** inventory.stock is an integer column. */
const MAX_STOCK = 2147483647;

let p: Platform;
let admin: Api;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  p = await startPlatform({ components: ['gateway', 'aws-endpoint'], port: 0, awsPort: 0, executionStore: 'memory' });
  admin = await apiAs(p, newUser(), ['admin']);
});
afterAll(async () => {
  await closeProducer();
  await p?.stop();
  await closeDb();
});

const priceOf = async (s: string): Promise<number> => Number((await db().query<{ price_cents: string }>('SELECT price_cents FROM inventory WHERE sku = $1', [s])).rows[0]!.price_cents);

describe('POST /inventory/{sku}/restock', () => {
  it('replays the same key with the same body: 200, the same answer, the stock added once', async () => {
    const s = await seedSku('rs-same', 10, 500);
    const key = { 'Idempotency-Key': `rs-same-${RUN}` };
    const a = await admin.post(`/inventory/${s}/restock`, { quantity: 5 }, key);
    const b = await admin.post(`/inventory/${s}/restock`, { quantity: 5 }, key);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    // Only the stock's fields: whatever the step stores to detect a reused key stays inside.
    expect(a.body).toEqual({ sku: s, stock: 15, priceCents: 500, updatedAt: expect.any(String) });
    expect(b.body).toEqual(a.body);
    expect(await stockOf(s)).toBe(15);
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another body, and changes nothing', async () => {
    const s = await seedSku('rs-reuse', 10, 500);
    const key = { 'Idempotency-Key': `rs-reuse-${RUN}` };
    const a = await admin.post(`/inventory/${s}/restock`, { quantity: 5 }, key);
    expect(a.status).toBe(200);
    const other = await admin.post(`/inventory/${s}/restock`, { quantity: 500, priceCents: 1 }, key);
    expect(other.status).toBe(409);
    expect(other.body.error).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringMatching(/Idempotency-Key.*different request body/) });
    // A body differing only by an optional field is another request too.
    const withPrice = await admin.post(`/inventory/${s}/restock`, { quantity: 5, priceCents: 500 }, key);
    expect(withPrice.status).toBe(409);
    expect(await stockOf(s)).toBe(15);
    expect(await priceOf(s)).toBe(500);
    // The first request, sent again, still gets its answer.
    const again = await admin.post(`/inventory/${s}/restock`, { quantity: 5 }, key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(a.body);
    expect(await stockOf(s)).toBe(15);
  });

  it('replays a restock recorded before request hashes were stored, whatever the body', async () => {
    const s = await seedSku('rs-legacy', 10, 500);
    const key = `rs-legacy-${RUN}`;
    const stored = { sku: s, stock: 42, priceCents: 500, updatedAt: '2025-01-01T00:00:00.000Z' };
    await db().query("INSERT INTO processed_messages (order_id, step, result) VALUES ($1, 'inventory.restock', $2::jsonb)", [`restock:${s}:${key}`, JSON.stringify(stored)]);
    const res = await admin.post(`/inventory/${s}/restock`, { quantity: 7 }, { 'Idempotency-Key': key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(stored);
    expect(await stockOf(s)).toBe(10);
  });

  it('answers 400 naming quantity when the stock would pass the column maximum, and changes nothing', async () => {
    const s = await seedSku('rs-max', MAX_STOCK - 3, 500);
    for (const body of [{ quantity: 5 }, { quantity: 5, priceCents: 1 }]) {
      const res = await admin.post(`/inventory/${s}/restock`, body, { 'Idempotency-Key': `rs-max-${body.priceCents ?? 'none'}-${RUN}` });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining(String(MAX_STOCK)) });
      expect(res.body.error.issues).toEqual([{ path: 'quantity', message: expect.stringMatching(new RegExp(`exceed the maximum stock \\(${MAX_STOCK}\\)`)) }]);
    }
    expect(await stockOf(s)).toBe(MAX_STOCK - 3);
    expect(await priceOf(s)).toBe(500);
    // Up to the maximum itself is fine.
    const full = await admin.post(`/inventory/${s}/restock`, { quantity: 3 });
    expect(full.status).toBe(200);
    expect(full.body.stock).toBe(MAX_STOCK);
  });

  it('refuses the second of two concurrent restocks that fit alone but not together', async () => {
    const s = await seedSku('rs-race', MAX_STOCK - 6, 500);
    const res = await Promise.all([admin.post(`/inventory/${s}/restock`, { quantity: 5 }), admin.post(`/inventory/${s}/restock`, { quantity: 5, priceCents: 500 })]);
    expect(res.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(await stockOf(s)).toBe(MAX_STOCK - 1);
  });

  it('still asks for a price for an unknown SKU (the guard does not read as "unknown")', async () => {
    const res = await admin.post(`/inventory/IT-${RUN}-rs-unknown/restock`, { quantity: 5 });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ path: 'priceCents', message: 'required for a new SKU' }]);
  });

  it('leaves its event to the relay while an older one of the SKU is unsent, so the SKU\'s events keep their order', async () => {
    const s = await seedSku('rs-order', 10, 500);
    const kafka = await collectTopic(['inventory-events']);
    // An older restock event of the SKU still in the outbox (its publish failed), locked as a relay
    // sending it would hold it: every relay holds the SKU's newer rows meanwhile.
    const older = envelope({ type: 'InventoryRestocked', source: 'shop.inventory', data: { sku: s, quantity: 1, stock: 11 } });
    const olderId = (await db().query<{ id: string }>("INSERT INTO outbox (event_id, topic, message_key, payload) VALUES ($1, 'inventory-events', $2, $3) RETURNING id", [older.id, s, older])).rows[0]!.id;
    const holder = await db().connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM outbox WHERE id = $1 FOR UPDATE', [olderId]);
      const res = await admin.post(`/inventory/${s}/restock`, { quantity: 5 });
      expect(res.status).toBe(200);
      // Not published now: still in the outbox, behind the older row.
      const mine = await db().query<{ id: string }>("SELECT id FROM outbox WHERE message_key = $1 AND id > $2 AND payload->>'type' = 'InventoryRestocked'", [s, olderId]);
      expect(mine.rows).toHaveLength(1);
      await holder.query('ROLLBACK');
    } finally {
      holder.release();
    }
    // The relay sends both, the older first.
    await relayPending({ minAgeMs: 0 });
    const stocks = await until('both events on Kafka', () => {
      const mine = kafka.messages.filter((m) => m.key === s).map((m) => (m.value as { data: { stock: number } }).data.stock);
      return mine.length >= 2 ? mine : undefined;
    });
    await kafka.stop();
    expect(stocks).toEqual([11, 15]);
  });

  it('is not idempotent without an Idempotency-Key: two keyless restocks add twice', async () => {
    const s = await seedSku('rs-nokey', 10, 500);
    const a = await admin.post(`/inventory/${s}/restock`, { quantity: 5 });
    const b = await admin.post(`/inventory/${s}/restock`, { quantity: 5 });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.stock, b.body.stock]).toEqual([15, 20]);
    expect(await stockOf(s)).toBe(20);
  });
});
