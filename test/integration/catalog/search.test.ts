import './env';
import type { ProductState } from '../../../functions/catalog/domain/product';
import { eventStore, searchIndex } from '../../../functions/catalog/wiring';
import { call, cleanup, refresh } from './helpers';

afterAll(cleanup);

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
let n = 0;
function product(p: Partial<ProductState> & Pick<ProductState, 'name' | 'category' | 'price'>): ProductState {
  n += 1;
  const t = new Date(T0 + n * 60_000).toISOString();
  return { productId: `s-${String(n).padStart(3, '0')}`, version: 1, description: '', popularity: n, inStock: true, status: 'active', createdAt: t, updatedAt: t, ...p };
}

const fixtures: ProductState[] = [
  product({ name: 'Walnut desk', description: 'A solid desk for the study', category: 'furniture', price: 420 }),
  product({ name: 'Reading lamp', description: 'Pairs well with a walnut finish', category: 'lighting', price: 35, popularity: 1000 }),
  product({ name: 'Walnut shelf', description: 'Wall shelf', category: 'furniture', price: 89 }),
  product({ name: 'Oak table', description: 'Dining table', category: 'furniture', price: 640 }),
  product({ name: 'Floor lamp', description: 'Tall lamp', category: 'lighting', price: 120 }),
  product({ name: 'Desk lamp', description: 'Small lamp for the desk', category: 'lighting', price: 19.99 }),
  product({ name: 'Plush bear', description: 'Soft toy', category: 'toys', price: 12 }),
  product({ name: 'Wooden train', description: 'Toy train in walnut and beech', category: 'toys', price: 48 }),
  product({ name: 'Kettle', description: 'Steel kettle', category: 'kitchen', price: 30, inStock: false }),
  product({ name: 'Teapot', description: 'Ceramic teapot', category: 'kitchen', price: 26 }),
  product({ name: 'Retired walnut box', description: 'gone', category: 'furniture', price: 10, status: 'retired' }),
];
for (let i = 0; i < 45; i++) fixtures.push(product({ name: `Candle ${i}`, description: 'Scented candle', category: 'home', price: 5 + i }));

beforeAll(async () => {
  const store = await eventStore();
  await store.appendCreatedMany(fixtures.filter((f) => f.status === 'active'));
  await (await searchIndex()).index.applyVersioned(fixtures);
  await refresh();
});

const search = (query: Record<string, string>) => call('GET', '/search', { query });

describe('catalog search (OpenSearch)', () => {
  it('ranks a query word in the name above the same word only in the description', async () => {
    const r = await search({ q: 'walnut' });
    expect(r.status).toBe(200);
    const names = r.body.items.map((i: ProductState) => i.name);
    expect(names.slice(0, 2).sort()).toEqual(['Walnut desk', 'Walnut shelf']);
    expect(names).toEqual(expect.arrayContaining(['Reading lamp', 'Wooden train']));
    expect(names).not.toContain('Retired walnut box');
    const nameScore = r.body.items[1].score;
    const descScore = r.body.items.find((i: ProductState) => i.name === 'Reading lamp').score;
    expect(nameScore).toBeGreaterThan(descScore);
  });

  it('filters by category and price range', async () => {
    const r = await search({ category: 'lighting', minPrice: '20', maxPrice: '150' });
    expect(r.body.items.map((i: ProductState) => i.name).sort()).toEqual(['Floor lamp', 'Reading lamp']);
    expect(r.body.total).toBe(2);
  });

  it('sorts by price both ways and by popularity', async () => {
    const asc = (await search({ category: 'kitchen', sort: 'price_asc' })).body.items.map((i: ProductState) => i.price);
    expect(asc).toEqual([26, 30]);
    const desc = (await search({ category: 'furniture', sort: 'price_desc' })).body.items.map((i: ProductState) => i.price);
    expect(desc).toEqual([640, 420, 89]);
    const pop = (await search({ q: 'lamp', sort: 'popularity' })).body.items.map((i: ProductState) => i.name);
    expect(pop[0]).toBe('Reading lamp');
  });

  it('returns facets that add up to the total', async () => {
    const r = await search({});
    const total = r.body.total as number;
    expect(total).toBe(fixtures.filter((f) => f.status === 'active').length);
    const byCat = r.body.facets.categories.reduce((s: number, b: { count: number }) => s + b.count, 0);
    const byPrice = r.body.facets.priceRanges.reduce((s: number, b: { count: number }) => s + b.count, 0);
    expect(byCat).toBe(total);
    expect(byPrice).toBe(total);
    expect(r.body.facets.categories.find((c: { value: string }) => c.value === 'home').count).toBe(45);
  });

  it('pages through results without overlap', async () => {
    const p1 = (await search({ category: 'home', sort: 'price_asc', size: '20', page: '1' })).body.items.map((i: ProductState) => i.productId);
    const p3 = (await search({ category: 'home', sort: 'price_asc', size: '20', page: '3' })).body.items.map((i: ProductState) => i.productId);
    expect(p1).toHaveLength(20);
    expect(p3).toHaveLength(5);
    expect(p1.filter((id: string) => p3.includes(id))).toEqual([]);
  });

  it('lists a category with cursor pagination', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await call('GET', '/products', { query: { category: 'home', limit: '20', ...(cursor ? { cursor } : {}) } });
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((p: ProductState) => p.productId));
      cursor = r.body.nextCursor ?? undefined;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
  });

  it('rejects bad queries with 400 naming the parameter', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ minPrice: '-1' }, 'query.minPrice'],
      [{ minPrice: '100', maxPrice: '5' }, 'query.minPrice'],
      [{ page: '100000' }, 'query.page'],
      [{ page: '0' }, 'query.page'],
      [{ q: 'a'.repeat(10_000) }, 'query.q'],
      [{ sort: 'script' }, 'query.sort'],
      [{ maxPrice: '1e400' }, 'query.maxPrice'],
      [{ category: '{"$ne":null}' }, 'query.category'],
    ];
    for (const [query, path] of cases) {
      const r = await search(query);
      expect({ query, status: r.status }).toEqual({ query, status: 400 });
      expect(r.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect((await call('GET', '/products', { query: { category: 'home', cursor: 'bm90LWEtY3Vyc29y' } })).status).toBe(400);
  });

  it('answers injection-looking or odd text with a result, never a 500', async () => {
    const qs = ['{"$where":"sleep(1000)"}', "' OR 1=1; DROP TABLE products; --", 'name:* AND _exists_:price', '\\"/*<script>', '🙂 ☃', '((((', 'walnut~2^99'];
    for (const q of qs) {
      const r = await search({ q });
      expect({ q, status: r.status }).toEqual({ q, status: 200 });
    }
  });

  it('answers a page past the end with an empty page', async () => {
    const r = await search({ category: 'kitchen', page: '5' });
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([]);
    expect(r.body.total).toBe(2);
  });

  it('answers 404 for an unknown product and an unknown route', async () => {
    expect((await call('GET', '/products/does-not-exist')).status).toBe(404);
    expect((await call('DELETE', '/products/x', { resource: '/nope' })).status).toBe(404);
  });
});
