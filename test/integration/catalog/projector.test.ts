import './env';
import { getKafka } from '../../../functions/shared/adapters/kafka';
import { getRedis } from '../../../functions/shared/adapters/redis';
import { createTopics } from '../../../local/runtime/consumers';
import { manifest } from '../../../lib/manifest';
import { handler as projector } from '../../../functions/catalog/handlers/projector';
import { catalogMetricTotals, resetCatalogMetricTotals } from '../../../functions/catalog/metrics';
import { catalogCache, config } from '../../../functions/catalog/wiring';
import { call, cleanup, createProduct, indexContents, mskEvent, refresh, storedEvents } from './helpers';

afterAll(cleanup);

async function eventsOf(productId: string) {
  return (await storedEvents()).filter((e) => e.aggregateId === productId);
}

describe('catalog projector (OpenSearch, Redis)', () => {
  it('applies the same event twice and leaves the index correct', async () => {
    const { productId } = await createProduct({ name: 'Twice lamp', category: 'home', price: 10 });
    await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 12 } });
    const evs = await eventsOf(productId);
    const first = await projector(mskEvent(evs));
    expect(first).toMatchObject({ received: 2, applied: 1 });
    const again = await projector(mskEvent(evs));
    expect(again).toMatchObject({ received: 2, applied: 0 });
    const doc = (await indexContents()).get(productId);
    expect(doc).toMatchObject({ version: 2, price: 12 });
  });

  it('applies events out of order and keeps the newest state', async () => {
    const { productId } = await createProduct({ name: 'Order rug', category: 'home', price: 50 });
    await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 55 } });
    await call('POST', `/products/${productId}/popularity`, { body: { expectedVersion: 2, delta: 9 } });
    const [v1, v2, v3] = await eventsOf(productId);
    await projector(mskEvent([v1!]));
    await projector(mskEvent([v3!]));
    const late = await projector(mskEvent([v2!]));
    expect(late.applied).toBe(0);
    expect((await indexContents()).get(productId)).toMatchObject({ version: 3, price: 55, popularity: 9 });
  });

  it('replaces the cached product when a newer event is applied', async () => {
    const { productId } = await createProduct({ name: 'Cached kettle', category: 'kitchen', price: 30 });
    await projector(mskEvent(await eventsOf(productId)));
    const cache = await catalogCache();
    // The projector wrote the entry through; drop it to see cache-aside fill it again.
    await (await getRedis()).del(cache.productKey(productId));
    resetCatalogMetricTotals();
    expect((await call('GET', `/products/${productId}`)).body.price).toBe(30); // miss, fills the cache
    expect((await call('GET', `/products/${productId}`)).body.price).toBe(30); // hit
    expect(catalogMetricTotals().CacheHit.count).toBe(1);
    expect(catalogMetricTotals().CacheMiss.count).toBe(1);
    await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 33 } });
    await projector(mskEvent(await eventsOf(productId)));
    const r = await call('GET', `/products/${productId}`);
    expect(r.body).toMatchObject({ price: 33, version: 2 });
    expect(catalogMetricTotals().CacheHit.count).toBe(2); // served from the refreshed cache entry
  });

  it('does not let a reader put an older version back into the cache', async () => {
    const { productId } = await createProduct({ name: 'Race lamp', category: 'home', price: 5 });
    await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 6 } });
    const evs = await eventsOf(productId);
    await projector(mskEvent(evs));
    const cache = await catalogCache();
    await cache.putProduct(evs[0]!.state); // a slow reader holding v1
    expect((await cache.getProduct(productId))?.version).toBe(2);
  });

  it('removes a retired product from queries and the cache answer', async () => {
    const { productId } = await createProduct({ name: 'Retiring zebra', category: 'toys', price: 15 });
    await projector(mskEvent(await eventsOf(productId)));
    await refresh();
    expect((await call('GET', `/products/${productId}`)).status).toBe(200);
    await call('POST', `/products/${productId}/retire`, { body: { expectedVersion: 1 } });
    await projector(mskEvent(await eventsOf(productId)));
    await refresh();
    expect((await call('GET', `/products/${productId}`)).status).toBe(404);
    expect((await call('GET', '/search', { query: { q: 'zebra' } })).body.total).toBe(0);
  });

  it('invalidates cached searches when a batch changes the index', async () => {
    const { productId } = await createProduct({ name: 'Quokka plush', category: 'toys', price: 9 });
    expect((await call('GET', '/search', { query: { q: 'quokka' } })).body.total).toBe(0); // cached empty
    await projector(mskEvent(await eventsOf(productId)));
    await refresh();
    expect((await call('GET', '/search', { query: { q: 'quokka' } })).body.total).toBe(1);
  });

  it('sends a poison record to the dead-letter topic and applies the rest', async () => {
    const { productId } = await createProduct({ name: 'Poison neighbour', category: 'home', price: 1 });
    const admin = getKafka().admin();
    await admin.connect();
    await createTopics(manifest, process.env.KAFKA_BROKERS!.split(','));
    const before = await admin.fetchTopicOffsets('dead-letter');
    const out = await projector(mskEvent(await eventsOf(productId), [{ value: Buffer.from('{"not":"an event"}').toString('base64') }, { value: null }]));
    expect(out).toMatchObject({ received: 1, applied: 1 });
    const after = await admin.fetchTopicOffsets('dead-letter');
    await admin.disconnect();
    // Other test files write to the shared dead-letter topic too: read the range and keep this consumer's records.
    const written = await readRange('dead-letter', before, after);
    const ours = written.filter((v) => (JSON.parse(v) as { consumer?: string }).consumer === 'catalog-projector');
    expect(ours).toHaveLength(2);
  });

  it('throws when the event is not an MSK event', async () => {
    await expect(projector({ eventSource: 'aws:sqs', Records: [] })).rejects.toThrow();
  });

  it('keeps the generation key under the configured prefix', async () => {
    const keys = await (await getRedis()).keys(`${config.CATALOG_CACHE_PREFIX}s:gen`);
    expect(keys).toHaveLength(1);
  });
});

type Offsets = Array<{ partition: number; offset: string; high: string }>;

/** Values of the records written to `topic` between two offset snapshots (read with a throwaway group). */
async function readRange(topic: string, from: Offsets, to: Offsets): Promise<string[]> {
  const want = new Map(to.map((p) => [p.partition, BigInt(p.high)]));
  const start = new Map(from.map((p) => [p.partition, BigInt(p.high)]));
  const pending = new Set(to.filter((p) => BigInt(p.high) > (start.get(p.partition) ?? 0n)).map((p) => p.partition));
  if (pending.size === 0) return [];
  const consumer = getKafka().consumer({ groupId: `dl-range-${process.pid}-${Date.now()}` });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const off = BigInt(message.offset);
          if (off >= (start.get(partition) ?? 0n) && off < want.get(partition)!) values.push(message.value?.toString() ?? '');
          if (off + 1n >= want.get(partition)!) pending.delete(partition);
          if (pending.size === 0) resolve();
        },
      });
    });
    for (const [partition, offset] of start) if (pending.has(partition)) consumer.seek({ topic, partition, offset: offset.toString() });
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 20_000))]);
  } finally {
    await consumer.disconnect();
  }
  return values;
}
