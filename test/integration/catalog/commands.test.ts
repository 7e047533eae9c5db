import './env';
import { getMongoDb } from '../../../functions/shared/adapters/mongo';
import { EVENTS, SNAPSHOTS } from '../../../functions/catalog/adapters/mongo-event-store';
import { config, eventStore } from '../../../functions/catalog/wiring';
import { call, cleanup, createProduct } from './helpers';

afterAll(cleanup);

describe('catalog commands on the event store (FerretDB)', () => {
  it('creates a product at version 1 and keeps a snapshot', async () => {
    const r = await call('POST', '/products', { body: { name: 'Desk lamp', description: 'Warm light', category: 'home', price: 24.5 } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ version: 1, eventType: 'ProductCreated' });
    const store = await eventStore();
    expect(await store.getSnapshot(r.body.productId)).toMatchObject({ name: 'Desk lamp', price: 24.5, version: 1, status: 'active' });
  });

  it('two concurrent updates at the same version: one succeeds, one gets 409', async () => {
    const { productId } = await createProduct({ name: 'Kettle', category: 'kitchen', price: 30 });
    const [a, b] = await Promise.all([
      call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 31 } }),
      call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 32 } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const lost = a.status === 409 ? a : b;
    expect(lost.body.error.code).toBe('VERSION_CONFLICT');
    const events = await (await getMongoDb(config.CATALOG_DB)).collection(EVENTS).find({ aggregateId: productId }).toArray();
    expect(events.map((e) => e.version).sort()).toEqual([1, 2]);
  });

  it('many concurrent writers at one version: exactly one wins', async () => {
    const { productId } = await createProduct({ name: 'Toaster', category: 'kitchen', price: 40 });
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => call('POST', `/products/${productId}/popularity`, { body: { expectedVersion: 1, delta: i + 1 } })));
    expect(rs.filter((r) => r.status === 200)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 409)).toHaveLength(7);
  });

  it('applies every command kind in sequence', async () => {
    const { productId } = await createProduct({ name: 'Chair', category: 'furniture', price: 80, popularity: 5 });
    expect((await call('PATCH', `/products/${productId}`, { body: { expectedVersion: 1, name: 'Oak chair', inStock: false } })).status).toBe(200);
    expect((await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 2, price: 75.5 } })).status).toBe(200);
    expect((await call('POST', `/products/${productId}/popularity`, { body: { expectedVersion: 3, delta: 10 } })).status).toBe(200);
    const retired = await call('POST', `/products/${productId}/retire`, { body: { expectedVersion: 4, reason: 'discontinued' } });
    expect(retired.body).toEqual({ productId, version: 5, eventType: 'ProductRetired' });
    const s = await (await eventStore()).load(productId);
    expect(s).toMatchObject({ name: 'Oak chair', inStock: false, price: 75.5, popularity: 15, status: 'retired', version: 5 });
  });

  it('rejects a stale expectedVersion with 409', async () => {
    const { productId } = await createProduct({ name: 'Mug', category: 'kitchen', price: 8 });
    await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 9 } });
    const r = await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 10 } });
    expect(r.status).toBe(409);
  });

  it('rejects commands on a retired product with 409 PRODUCT_RETIRED', async () => {
    const { productId } = await createProduct({ name: 'Vase', category: 'home', price: 12 });
    await call('POST', `/products/${productId}/retire`, { body: { expectedVersion: 1 } });
    const r = await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 2, price: 1 } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('PRODUCT_RETIRED');
  });

  it('rejects a create with an existing productId with 409', async () => {
    await createProduct({ productId: 'fixed-id-1', name: 'A', category: 'home', price: 1 });
    const r = await call('POST', '/products', { body: { productId: 'fixed-id-1', name: 'B', category: 'home', price: 2 } });
    expect(r.status).toBe(409);
  });

  it('rejects a command on an unknown product with 404', async () => {
    expect((await call('POST', '/products/nope-404/price', { body: { expectedVersion: 1, price: 1 } })).status).toBe(404);
  });

  it('rejects bad bodies with 400 naming the field', async () => {
    const r = await call('POST', '/products', { body: { name: 'x', category: 'home', price: -3 } });
    expect(r.status).toBe(400);
    expect(r.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['price']);
    expect((await call('POST', '/products', { body: '{not json' })).status).toBe(400);
    expect((await call('POST', '/products/bad id!/price', { body: { expectedVersion: 1, price: 1 } })).status).toBe(400);
  });

  it('rejects a caller without the admin role with 403', async () => {
    const r = await call('POST', '/products', { body: { name: 'x', category: 'home', price: 3 }, roles: ['customer'] });
    expect(r.status).toBe(403);
    expect((await call('POST', '/products', { body: { name: 'x', category: 'home', price: 3 }, roles: ['admin'] })).status).toBe(201);
  });

  it('repairs a lost snapshot from the events (the append is the commit point)', async () => {
    const { productId } = await createProduct({ name: 'Clock', category: 'home', price: 20 });
    await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 1, price: 22 } });
    // Simulate a crash between the append and the snapshot update.
    await (await getMongoDb(config.CATALOG_DB)).collection(SNAPSHOTS).deleteOne({ _id: productId as never });
    const r = await call('POST', `/products/${productId}/price`, { body: { expectedVersion: 2, price: 23 } });
    expect(r.status).toBe(200);
    expect(await (await eventStore()).getSnapshot(productId)).toMatchObject({ version: 3, price: 23, name: 'Clock' });
  });

  it('gives every event a distinct seq even under concurrent creates', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => createProduct({ name: `P${i}`, category: 'bulk', price: i })));
    const docs = await (await getMongoDb(config.CATALOG_DB)).collection(EVENTS).find({ kind: 'event' }).toArray();
    expect(new Set(docs.map((d) => d.seq)).size).toBe(docs.length);
  });
});
