import { createHash } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../shared/errors';
import type { ProductState } from '../domain/product';
import { recordMetric } from '../metrics';
import type { CatalogCache, SearchIndex } from '../ports';
import type { ListProductsInput, SearchInput, SearchResultT } from '../schemas';

export interface QueryDeps {
  readonly index: SearchIndex;
  readonly cache: CatalogCache;
}

/** GET /products/{id}: cache-aside (Redis, 1 h), then the read model. Retired products are 404. */
export async function getProduct(deps: QueryDeps, productId: string): Promise<ProductState> {
  let p = await deps.cache.getProduct(productId);
  if (p) recordMetric('CacheHit');
  else {
    recordMetric('CacheMiss');
    p = await deps.index.get(productId);
    if (p) await deps.cache.putProduct(p);
  }
  if (!p || p.status !== 'active') throw new NotFoundError(`product ${productId} not found`);
  return p;
}

export function encodeCursor(sort: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(sort), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): (string | number)[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length > 0 && v.length <= 4 && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v;
  } catch {
    /* falls through */
  }
  throw new ValidationError('invalid cursor', [{ path: 'query.cursor', message: 'not a cursor from a previous page' }]);
}

/** GET /products?category&cursor&limit: active products of a category, stable order, cursor pages. */
export async function listProducts(deps: QueryDeps, input: ListProductsInput): Promise<{ items: ProductState[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const page = await deps.index.listByCategory(input.category, after, input.limit);
  return { items: page.items, nextCursor: page.items.length === input.limit && page.last ? encodeCursor(page.last) : null };
}

/** The cache key of a search: the same question asked differently maps to the same key. */
export function normalizeSearch(input: SearchInput): string {
  const q = (input.q ?? '').normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  const norm = {
    q,
    c: input.category ?? null,
    min: input.minPrice ?? null,
    max: input.maxPrice ?? null,
    s: input.sort,
    p: input.page,
    n: input.size,
  };
  return createHash('sha1').update(JSON.stringify(norm)).digest('base64url');
}

/** GET /search: cached 5 minutes by normalized query, else OpenSearch. */
export async function searchProducts(deps: QueryDeps, input: SearchInput, now: () => number = () => performance.now()): Promise<SearchResultT> {
  const t0 = now();
  const key = normalizeSearch({ ...input, q: input.q });
  const cached = await deps.cache.getSearch(key);
  if (cached) {
    recordMetric('CacheHit');
    recordMetric('SearchLatency', now() - t0);
    return cached;
  }
  recordMetric('CacheMiss');
  const result = await deps.index.search({ ...input, q: (input.q ?? '').trim() || undefined });
  await deps.cache.putSearch(key, result);
  recordMetric('SearchLatency', now() - t0);
  return result;
}
