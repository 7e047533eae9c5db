import { CreateProductBody, ListProductsQuery, SearchQuery, UpdateDetailsBody, CatalogEventData } from '../../../functions/catalog/schemas';
import { decodeCursor, encodeCursor, normalizeSearch } from '../../../functions/catalog/usecases/queries';
import { searchBody } from '../../../functions/catalog/adapters/opensearch-index';
import { ValidationError } from '../../../functions/shared/errors';

function issuesOf(r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } }): string[] {
  return r.success ? [] : r.error!.issues.map((i) => i.path.join('.'));
}

describe('search query schema', () => {
  it('applies defaults', () => {
    expect(SearchQuery.parse({})).toEqual({ sort: 'relevance', page: 1, size: 20 });
  });
  it('parses prices and paging from strings', () => {
    expect(SearchQuery.parse({ q: 'lamp', minPrice: '10', maxPrice: '20.5', page: '3', size: '10', sort: 'price_asc' })).toMatchObject({ minPrice: 10, maxPrice: 20.5, page: 3, size: 10 });
  });
  it('rejects a negative price naming minPrice', () => {
    expect(issuesOf(SearchQuery.safeParse({ minPrice: '-5' }))).toEqual(['minPrice']);
  });
  it('rejects min above max naming minPrice', () => {
    expect(issuesOf(SearchQuery.safeParse({ minPrice: '50', maxPrice: '10' }))).toEqual(['minPrice']);
  });
  it('rejects a page past the result window naming page', () => {
    expect(issuesOf(SearchQuery.safeParse({ page: '600', size: '20' }))).toEqual(['page']);
  });
  it('rejects an absurdly long q naming q', () => {
    expect(issuesOf(SearchQuery.safeParse({ q: 'x'.repeat(5000) }))).toEqual(['q']);
  });
  it('rejects numbers in exotic notations', () => {
    for (const v of ['1e9', '0x10', 'NaN', 'Infinity', '', ' ']) expect(issuesOf(SearchQuery.safeParse({ maxPrice: v }))).toEqual(['maxPrice']);
  });
  it('rejects an unknown sort naming sort', () => {
    expect(issuesOf(SearchQuery.safeParse({ sort: '_script' }))).toEqual(['sort']);
  });
  it('rejects an injection-looking category', () => {
    expect(issuesOf(SearchQuery.safeParse({ category: '{"$gt":""}' }))).toEqual(['category']);
  });
  it('accepts an injection-looking q as plain text', () => {
    expect(SearchQuery.safeParse({ q: '{"$where":"1"} OR 1=1; DROP TABLE products --' }).success).toBe(true);
  });
});

describe('command bodies', () => {
  it('rejects unknown fields', () => {
    expect(issuesOf(CreateProductBody.safeParse({ name: 'a', category: 'home', price: 1, evil: true }))).toEqual(['']);
  });
  it('rejects a negative price naming price', () => {
    expect(issuesOf(CreateProductBody.safeParse({ name: 'a', category: 'home', price: -1 }))).toEqual(['price']);
  });
  it('rejects an update with nothing to change', () => {
    expect(UpdateDetailsBody.safeParse({ expectedVersion: 1 }).success).toBe(false);
  });
  it('rejects a list without category', () => {
    expect(issuesOf(ListProductsQuery.safeParse({}))).toEqual(['category']);
  });
});

describe('search keys and cursors', () => {
  const base = SearchQuery.parse({});
  it('normalizes case and spacing of q', () => {
    expect(normalizeSearch({ ...base, q: '  Desk   LAMP ' })).toBe(normalizeSearch({ ...base, q: 'desk lamp' }));
  });
  it('keeps different filters apart', () => {
    expect(normalizeSearch({ ...base, q: 'lamp', category: 'home' })).not.toBe(normalizeSearch({ ...base, q: 'lamp' }));
  });
  it('round-trips a cursor', () => {
    expect(decodeCursor(encodeCursor(['p-1', 3]))).toEqual(['p-1', 3]);
  });
  it('rejects a forged cursor with a ValidationError', () => {
    expect(() => decodeCursor(Buffer.from('{"a":1}').toString('base64url'))).toThrow(ValidationError);
  });
});

describe('search request body', () => {
  it('boosts name over description and filters active products', () => {
    const b = searchBody(SearchQuery.parse({ q: 'lamp', category: 'home', minPrice: '5' })) as { query: { bool: { must: unknown[]; filter: unknown[] } } };
    expect(b.query.bool.must).toEqual([{ multi_match: { query: 'lamp', fields: ['name^3', 'description'], type: 'best_fields' } }]);
    expect(b.query.bool.filter).toEqual([{ term: { status: 'active' } }, { term: { category: 'home' } }, { range: { price: { gte: 5 } } }]);
  });
  it('pages with from and size', () => {
    expect(searchBody(SearchQuery.parse({ page: '3', size: '10' }))).toMatchObject({ from: 20, size: 10 });
  });
});

describe('catalog event contract', () => {
  it('reads a version 1 event', () => {
    const state = { productId: 'p', version: 2, name: 'n', description: '', category: 'c', price: 1, popularity: 0, inStock: true, status: 'active', createdAt: 't', updatedAt: 't' };
    expect(CatalogEventData.parse({ productId: 'p', version: 2, seq: 9, change: { price: 1 }, state })).toMatchObject({ version: 2 });
  });
  it('rejects an event without state', () => {
    expect(CatalogEventData.safeParse({ productId: 'p', version: 2, seq: 9, change: {} }).success).toBe(false);
  });
});
