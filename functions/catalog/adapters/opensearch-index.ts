import type { Client } from '@opensearch-project/opensearch';
import { DependencyUnavailableError } from '../../shared/errors';
import type { ProductState } from '../domain/product';
import type { ApplyResult, SearchIndex } from '../ports';
import type { SearchInput, SearchResultT } from '../schemas';

/**
 * The catalog read model in OpenSearch. Only core features (the local engine is the minimal
 * distribution): standard analyzer, bool/term/range, sorting, terms/range aggregations, aliases.
 * Documents are product states, versioned externally with the aggregate version.
 */
export const PRICE_RANGES = [
  { key: '0-25', to: 25 },
  { key: '25-50', from: 25, to: 50 },
  { key: '50-100', from: 50, to: 100 },
  { key: '100-250', from: 100, to: 250 },
  { key: '250-500', from: 250, to: 500 },
  { key: '500+', from: 500 },
] as const;

export function indexBody(opts: { replicas: number; refreshInterval?: string }) {
  return {
    settings: {
      index: { number_of_shards: 1, number_of_replicas: opts.replicas, refresh_interval: opts.refreshInterval ?? '1s' },
    },
    mappings: {
      dynamic: 'strict',
      properties: {
        productId: { type: 'keyword' },
        version: { type: 'long' },
        // Boosted over description at query time (name^3); raw keyword for exact sorts.
        name: { type: 'text', analyzer: 'standard', fields: { raw: { type: 'keyword', ignore_above: 256 } } },
        description: { type: 'text', analyzer: 'standard' },
        category: { type: 'keyword' },
        price: { type: 'double' },
        popularity: { type: 'long' },
        inStock: { type: 'boolean' },
        status: { type: 'keyword' },
        createdAt: { type: 'date' },
        updatedAt: { type: 'date' },
      },
    },
  };
}

type Json = Record<string, unknown>;

function unavailable(err: unknown): never {
  const e = err as { name?: string; meta?: { statusCode?: number } };
  const status = e.meta?.statusCode;
  if (e.name === 'ConnectionError' || e.name === 'TimeoutError' || e.name === 'NoLivingConnectionsError' || (status !== undefined && status >= 500) || status === 429) {
    throw new DependencyUnavailableError(`search engine unavailable: ${String(e.name ?? err)}`, 'opensearch');
  }
  throw err;
}

function toState(src: Json): ProductState {
  return {
    productId: String(src.productId),
    version: Number(src.version),
    name: String(src.name),
    description: String(src.description ?? ''),
    category: String(src.category),
    price: Number(src.price),
    popularity: Number(src.popularity ?? 0),
    inStock: Boolean(src.inStock),
    status: src.status === 'retired' ? 'retired' : 'active',
    createdAt: String(src.createdAt),
    updatedAt: String(src.updatedAt),
  };
}

/** Builds the search request body: also used by the benchmark to send the same query raw. */
export function searchBody(input: SearchInput): Json {
  const filter: Json[] = [{ term: { status: 'active' } }];
  if (input.category) filter.push({ term: { category: input.category } });
  if (input.minPrice !== undefined || input.maxPrice !== undefined) {
    filter.push({ range: { price: { ...(input.minPrice !== undefined ? { gte: input.minPrice } : {}), ...(input.maxPrice !== undefined ? { lte: input.maxPrice } : {}) } } });
  }
  const q = input.q?.trim();
  const must: Json[] = q ? [{ multi_match: { query: q, fields: ['name^3', 'description'], type: 'best_fields' } }] : [];
  const tie = { productId: 'asc' };
  const sort: Json[] | (string | Json)[] =
    input.sort === 'price_asc'
      ? [{ price: 'asc' }, tie]
      : input.sort === 'price_desc'
        ? [{ price: 'desc' }, tie]
        : input.sort === 'popularity'
          ? [{ popularity: 'desc' }, tie]
          : input.sort === 'newest'
            ? [{ createdAt: 'desc' }, tie]
            : ['_score', { popularity: 'desc' }, tie];
  return {
    query: { bool: { must, filter } },
    sort,
    from: (input.page - 1) * input.size,
    size: input.size,
    track_total_hits: true,
    aggs: {
      categories: { terms: { field: 'category', size: 100 } },
      price_ranges: { range: { field: 'price', ranges: PRICE_RANGES.map((r) => ({ key: r.key, ...('from' in r ? { from: r.from } : {}), ...('to' in r ? { to: r.to } : {}) })) } },
    },
  };
}

export function parseSearchResponse(input: SearchInput, body: Json): SearchResultT {
  const hits = body.hits as { total: { value: number }; hits: Array<{ _source: Json; _score: number | null }> };
  const aggs = body.aggregations as {
    categories: { buckets: Array<{ key: string; doc_count: number }> };
    price_ranges: { buckets: Array<{ key: string; from?: number; to?: number; doc_count: number }> };
  };
  return {
    total: hits.total.value,
    page: input.page,
    size: input.size,
    items: hits.hits.map((h) => ({ ...toState(h._source), score: typeof h._score === 'number' ? h._score : null })),
    facets: {
      categories: aggs.categories.buckets.map((b) => ({ value: b.key, count: b.doc_count })),
      priceRanges: aggs.price_ranges.buckets.map((b) => ({ key: b.key, from: b.from ?? null, to: b.to ?? null, count: b.doc_count })),
    },
  };
}

export class OpenSearchCatalogIndex implements SearchIndex {
  constructor(
    readonly client: Client,
    readonly alias: string,
  ) {}

  /**
   * With `target` (rebuild, seed) the bulk is fire-and-refresh-later. On the live alias it waits
   * until the changes are visible to search (refresh=wait_for), so the cache invalidation that
   * follows can never be overtaken by a reader caching a result from before the refresh.
   */
  async applyVersioned(docs: readonly ProductState[], target?: string): Promise<ApplyResult> {
    if (docs.length === 0) return { applied: [], skipped: 0 };
    const body: Json[] = [];
    for (const d of docs) {
      body.push({ index: { _index: target ?? this.alias, _id: d.productId, version: d.version, version_type: 'external' } });
      body.push({ ...d });
    }
    let res: Json;
    try {
      res = (await this.client.bulk({ body, ...(target ? {} : { refresh: 'wait_for' }) } as never)).body as unknown as Json;
    } catch (err) {
      unavailable(err);
    }
    const items = res.items as Array<{ index: { status: number; error?: { type: string; reason?: string } } }>;
    const applied: ProductState[] = [];
    let skipped = 0;
    const failures: string[] = [];
    items.forEach((it, i) => {
      const r = it.index;
      if (r.status >= 200 && r.status < 300) applied.push(docs[i]!);
      else if (r.status === 409) skipped += 1; // this version or a newer one is already applied
      else failures.push(`${docs[i]!.productId}: ${r.status} ${r.error?.type ?? ''} ${r.error?.reason ?? ''}`);
    });
    if (failures.length > 0) {
      // Throwing makes the consumer retry the batch; what was applied is skipped next time.
      throw new DependencyUnavailableError(`bulk indexing failed for ${failures.length} documents: ${failures.slice(0, 3).join('; ')}`, 'opensearch');
    }
    return { applied, skipped };
  }

  async get(productId: string): Promise<ProductState | undefined> {
    try {
      const r = await this.client.get({ index: this.alias, id: productId });
      const b = r.body as unknown as { found: boolean; _source?: Json };
      return b.found && b._source ? toState(b._source) : undefined;
    } catch (err) {
      if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return undefined;
      unavailable(err);
    }
  }

  async listByCategory(category: string, after: readonly (string | number)[] | undefined, limit: number) {
    try {
      const r = await this.client.search({
        index: this.alias,
        body: {
          query: { bool: { filter: [{ term: { status: 'active' } }, { term: { category } }] } },
          sort: [{ productId: 'asc' }],
          size: limit,
          ...(after ? { search_after: after } : {}),
        },
      } as never);
      const hits = ((r.body as unknown as Json).hits as { hits: Array<{ _source: Json; sort: (string | number)[] }> }).hits;
      return { items: hits.map((h) => toState(h._source)), last: hits.length > 0 ? hits[hits.length - 1]!.sort : undefined };
    } catch (err) {
      unavailable(err);
    }
  }

  async search(input: SearchInput): Promise<SearchResultT> {
    try {
      const r = await this.client.search({ index: this.alias, body: searchBody(input) } as never);
      return parseSearchResponse(input, r.body as unknown as Json);
    } catch (err) {
      unavailable(err);
    }
  }
}

/** Index lifecycle behind the alias: create, bulk settings, swap. */
export class CatalogIndexAdmin {
  constructor(
    readonly client: Client,
    readonly alias: string,
    readonly replicas = 0,
  ) {}

  newIndexName(): string {
    return `${this.alias}-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 17)}-${Math.random().toString(36).slice(2, 6)}`;
  }

  async indicesOfAlias(): Promise<string[]> {
    const exists = (await this.client.indices.existsAlias({ name: this.alias })).body as unknown as boolean;
    if (!exists) return [];
    const r = await this.client.indices.getAlias({ name: this.alias });
    return Object.keys(r.body as object);
  }

  /** Makes sure the alias points to an index with the mapping; creates one if none. */
  async ensure(): Promise<string> {
    const current = await this.indicesOfAlias();
    if (current[0]) return current[0];
    // A fixed first name: two cold starts racing here collide instead of making two indices.
    const name = `${this.alias}-initial`;
    try {
      await this.client.indices.create({ index: name, body: { ...indexBody({ replicas: this.replicas }), aliases: { [this.alias]: {} } } } as never);
    } catch (err) {
      const again = await this.indicesOfAlias();
      if (again[0]) return again[0];
      throw err;
    }
    return name;
  }

  async create(name: string, refreshInterval = '1s'): Promise<void> {
    await this.client.indices.create({ index: name, body: indexBody({ replicas: this.replicas, refreshInterval }) } as never);
  }

  async setRefreshInterval(index: string, interval: string): Promise<void> {
    await this.client.indices.putSettings({ index, body: { index: { refresh_interval: interval } } } as never);
  }

  async refresh(index = this.alias): Promise<void> {
    await this.client.indices.refresh({ index });
  }

  async count(index = this.alias): Promise<number> {
    const r = await this.client.count({ index });
    return (r.body as unknown as { count: number }).count;
  }

  /** Points the alias at `index` alone, atomically; returns the indices it pointed to before. */
  async swap(index: string): Promise<string[]> {
    const old = await this.indicesOfAlias();
    const actions: Json[] = old.map((o) => ({ remove: { index: o, alias: this.alias } }));
    actions.push({ add: { index, alias: this.alias } });
    await this.client.indices.updateAliases({ body: { actions } } as never);
    return old.filter((o) => o !== index);
  }

  async drop(index: string): Promise<void> {
    await this.client.indices.delete({ index });
  }
}
