import './env';
import type { Consumer } from 'kafkajs';
import { getKafka } from '../../../functions/shared/adapters/kafka';
import { handler as relay } from '../../../functions/catalog/handlers/relay';
import { handler as projector } from '../../../functions/catalog/handlers/projector';
import { relayOnce } from '../../../functions/catalog/usecases/relay';
import { config, eventStore, publisher } from '../../../functions/catalog/wiring';
import { buildMskEvent } from '../../../local/runtime/msk-event';
import { createTopics } from '../../../local/runtime/consumers';
import { manifest } from '../../../lib/manifest';
import { RUN_ID } from './env';
import { call, cleanup, createProduct, eventually } from './helpers';

/**
 * End to end on the engines: command API -> event store (FerretDB) -> relay -> Kafka
 * catalog-events -> MSK-shaped batches -> projector -> OpenSearch/Redis -> search API.
 */
let consumer: Consumer;
const projected: string[] = [];

beforeAll(async () => {
  const kafka = getKafka();
  const topic = manifest.topics.find((t) => t.name === config.CATALOG_TOPIC)!;
  await createTopics(manifest, process.env.KAFKA_BROKERS!.split(','));
  consumer = kafka.consumer({ groupId: `catalog-projector-it-${RUN_ID}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic: topic.name, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const event = buildMskEvent([{ topic: batch.topic, partition: batch.partition, messages: batch.messages }], process.env.KAFKA_BROKERS!.split(','));
      await projector(event);
      for (const m of batch.messages) projected.push(m.key?.toString() ?? '');
    },
  });
  await joined;
  // fromBeginning=false starts at the end only once offsets are resolved: wait for the assignment.
  await new Promise((r) => setTimeout(r, 1500));
}, 60_000);

afterAll(async () => {
  await consumer?.disconnect();
  await cleanup();
}, 30_000);

const search = async (q: string) => (await call('GET', '/search', { query: { q } })).body as { total: number; items: Array<{ productId: string; price: number }> };

describe('catalog pipeline (FerretDB -> Kafka -> OpenSearch)', () => {
  it('finds a product created through the command API within a bounded time, and loses it when retired', async () => {
    const { productId } = await createProduct({ name: 'Axolotl aquarium', description: 'Cold water tank', category: 'pets', price: 199 });
    const pass = await relay({});
    expect(pass.published).toBeGreaterThanOrEqual(1);
    const found = await eventually(async () => {
      const r = await search('axolotl');
      return r.items.find((i) => i.productId === productId);
    }, 'the new product in search');
    expect(found.price).toBe(199);

    await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 149 } });
    await call('POST', `/products/${productId}/retire`, { body: { expectedVersion: 2 } });
    await relay({});
    await eventually(async () => ((await search('axolotl')).total === 0 ? true : undefined), 'the retired product to disappear');
    expect((await call('GET', `/products/${productId}`)).status).toBe(404);
  }, 60_000);

  it('resumes from the checkpoint: a second pass publishes nothing new', async () => {
    await createProduct({ name: 'Checkpoint cactus', category: 'garden', price: 7 });
    const first = await relay({});
    expect(first.published).toBe(1);
    const store = await eventStore();
    expect(await store.getCheckpoint()).toBe(first.checkpoint);
    expect((await relay({})).published).toBe(0);
  }, 30_000);

  it('waits for a stalled writer, then fences its seq so it cannot land behind the checkpoint', async () => {
    const store = await eventStore();
    const stalledSeq = await store.nextSeq(1); // allocated, never inserted (a writer that stalled)
    const { productId } = await createProduct({ name: 'Fenced fern', category: 'garden', price: 11 });
    const behind = (await store.readAfter(stalledSeq, 10)).find((i) => i.kind === 'event')!;
    const eventTime = Date.parse(behind.time);
    const gapMs = 5000;
    // The clock is injected so the test does not depend on how fast this machine is.
    const pass = (now: number) => relayOnce({ store, publisher: publisher(), batchSize: 100, gapMs, maxMs: 10_000, now: () => now });
    const young = await pass(eventTime + 10);
    expect(young).toMatchObject({ published: 0, fenced: 0 }); // blocked on the young hole
    expect(await store.getCheckpoint()).toBe(stalledSeq - 1);
    const later = await pass(eventTime + gapMs + 1);
    expect(later).toMatchObject({ published: 1, fenced: 1 });
    await eventually(async () => (await search('fern')).items.find((i) => i.productId === productId), 'the product behind the hole');
    // The stalled writer's insert now fails on the unique seq instead of being skipped silently.
    await expect(store.events.insertOne({ _id: 'late:1', kind: 'event', aggregateId: 'late', version: 1, seq: stalledSeq, time: new Date().toISOString() })).rejects.toThrow(/duplicate key/);
  }, 30_000);

  it('keeps per-product order through Kafka', async () => {
    const { productId } = await createProduct({ name: 'Ordered orchid', category: 'garden', price: 20 });
    for (let v = 1; v <= 5; v++) await call('POST', `/products/${productId}/price`, { body: { expectedVersion: v, price: 20 + v } });
    await relay({});
    const hit = await eventually(async () => (await search('orchid')).items.find((i) => i.productId === productId && i.price === 25), 'the last price');
    expect(hit.price).toBe(25);
  }, 30_000);
});
