/**
 * `npm run bench:search`: seeds 100,000 products (BENCH_PRODUCTS to change), then runs a
 * Zipf-distributed mix of searches and product reads through the catalog API handler (Redis
 * cache-aside in front of OpenSearch), and sends every search straight to OpenSearch as well, in the
 * same run and interleaved, as the reference. Prints one JSON line last and writes
 * bench-results/search.json.
 */
import '../../local/polyfills';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ensureEngines, engineEnv } from '../../local/engines';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 100_000);
const OPS = Number(process.env.BENCH_OPS ?? 20_000);
const WARMUP_OPS = Number(process.env.BENCH_WARMUP_OPS ?? 10_000);
const SEARCH_SHARE = 0.7;
const ZIPF_S = Number(process.env.BENCH_ZIPF_S ?? 1.1);
const QUERY_UNIVERSE = 2000;

function zipfSampler(n: number, s: number, r: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf[k - 1] = sum += 1 / Math.pow(k, s);
  for (let k = 0; k < n; k++) cdf[k]! /= sum;
  return () => {
    const u = r();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!.toFixed(3);
}

async function main(): Promise<void> {
  await ensureEngines({ only: ['redis', 'opensearch', 'mongo'] });
  Object.assign(process.env, engineEnv(), {
    CATALOG_DB: 'catalog_bench',
    CATALOG_INDEX_ALIAS: 'bench-products',
    CATALOG_CACHE_PREFIX: 'bench:',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  // Config is read at module load: import the catalog only now.
  const { getMongoDb, closeMongo } = await import('../../functions/shared/adapters/mongo');
  const { getOpenSearch, closeOpenSearch } = await import('../../functions/shared/adapters/opensearch');
  const { getRedis, closeRedis } = await import('../../functions/shared/adapters/redis');
  const { handler: api } = await import('../../functions/catalog/handlers/api');
  const { catalogMetricTotals, resetCatalogMetricTotals } = await import('../../functions/catalog/metrics');
  const { searchBody } = await import('../../functions/catalog/adapters/opensearch-index');
  const { SearchQuery } = await import('../../functions/catalog/schemas');
  const { seedCatalog } = await import('../catalog/seed');
  const { CATALOG, CATEGORIES, rng } = await import('../catalog/generate');

  // Fresh state: drop the previous bench index, database and cache entries.
  const os = getOpenSearch();
  await os.indices.delete({ index: 'bench-products-*' }).catch(() => undefined);
  await (await getMongoDb('catalog_bench')).dropDatabase();
  const redis = await getRedis();
  const old = await redis.keys('bench:*');
  for (let i = 0; i < old.length; i += 1000) await redis.del(...old.slice(i, i + 1000));

  process.stderr.write(`seeding ${PRODUCTS} products\n`);
  const seeded = await seedCatalog({ count: PRODUCTS, batch: 5000, seed: 7, prefix: 'b' });
  process.stderr.write(`seeded in ${seeded.seconds.toFixed(1)} s\n`);
  const ids = Array.from({ length: PRODUCTS }, (_, i) => `b-${i.toString(36)}`);

  // The query universe: words from names, categories, price bands, sorts, pages.
  const r = rng(11);
  const words = [...new Set(Object.values(CATALOG).flatMap((c) => c.nouns))].concat(['wireless', 'walnut', 'compact', 'steel', 'premium', 'bamboo', 'Acme', 'Luma', 'Summit']);
  const sorts = ['relevance', 'relevance', 'relevance', 'price_asc', 'price_desc', 'popularity'] as const;
  const queries: Array<Record<string, string>> = [];
  for (let i = 0; i < QUERY_UNIVERSE; i++) {
    const q: Record<string, string> = {};
    if (r() < 0.85) q.q = r() < 0.3 ? `${words[Math.floor(r() * words.length)]} ${words[Math.floor(r() * words.length)]}` : words[Math.floor(r() * words.length)]!;
    if (r() < 0.4) q.category = CATEGORIES[Math.floor(r() * CATEGORIES.length)]!;
    if (r() < 0.3) {
      const lo = Math.floor(r() * 100);
      q.minPrice = String(lo);
      q.maxPrice = String(lo + 10 + Math.floor(r() * 200));
    }
    q.sort = sorts[Math.floor(r() * sorts.length)]!;
    if (r() < 0.2) q.page = String(2 + Math.floor(r() * 3));
    queries.push(q);
  }
  const pickQuery = zipfSampler(queries.length, ZIPF_S, r);
  const pickProduct = zipfSampler(ids.length, ZIPF_S, r);
  // Shuffle ranks onto ids/queries so popularity is not correlated with seed order.
  const perm = (n: number) => {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  const qPerm = perm(queries.length);
  const pPerm = perm(ids.length);

  const event = (path: string, resource: string, query: Record<string, string> | null, pathParameters: Record<string, string> | null) =>
    ({ httpMethod: 'GET', path, resource, queryStringParameters: query, pathParameters, headers: {}, body: null, isBase64Encoded: false, requestContext: { authorizer: null } }) as unknown as APIGatewayProxyEvent;

  // Warm the JIT and connections on a few calls outside the measured mix.
  for (let i = 0; i < 50; i++) {
    await os.search({ index: 'bench-products', body: searchBody(SearchQuery.parse({ q: 'warmup', page: '1' })) } as never);
    await os.ping();
  }

  const search: number[] = [];
  const raw: number[] = [];
  const getHit: number[] = [];
  const getMiss: number[] = [];
  let errors = 0;
  const runMix = async (ops: number, measure: boolean) => {
    for (let op = 0; op < ops; op++) {
      if (r() < SEARCH_SHARE) {
        const q = queries[qPerm[pickQuery()]!]!;
        const body = searchBody(SearchQuery.parse(q));
        const viaApi = async () => {
          const t = performance.now();
          const res = await api(event('/search', '/search', q, null));
          if (measure) search.push(performance.now() - t);
          if (res.statusCode !== 200) errors += 1;
        };
        const direct = async () => {
          const t = performance.now();
          await os.search({ index: 'bench-products', body } as never);
          if (measure) raw.push(performance.now() - t);
        };
        if (op % 2 === 0) {
          await viaApi();
          await direct();
        } else {
          await direct();
          await viaApi();
        }
      } else {
        const id = ids[pPerm[pickProduct()]!]!;
        const before = catalogMetricTotals().CacheHit.count;
        const t = performance.now();
        const res = await api(event(`/products/${id}`, '/products/{id}', null, { id }));
        const ms = performance.now() - t;
        if (res.statusCode !== 200) errors += 1;
        if (measure) (catalogMetricTotals().CacheHit.count > before ? getHit : getMiss).push(ms);
      }
      if (op % 5000 === 0) process.stderr.write(`  ${measure ? 'measured' : 'warm-up'} ${op}/${ops} ops\n`);
    }
  };
  // Warm-up: the same mix, not measured, so the figures describe a cache in steady state
  // (the cold ratio, from an empty cache, is kept in the results file too).
  resetCatalogMetricTotals();
  await runMix(WARMUP_OPS, false);
  const cold = catalogMetricTotals();
  resetCatalogMetricTotals();
  const t0 = performance.now();
  await runMix(OPS, true);
  const seconds = (performance.now() - t0) / 1000;
  const m = catalogMetricTotals();
  const result = {
    products: seeded.products,
    search_p50_ms: pct(search, 50),
    search_p99_ms: pct(search, 99),
    raw_p50_ms: pct(raw, 50),
    raw_p99_ms: pct(raw, 99),
    get_cached_p99_ms: pct(getHit, 99),
    get_uncached_p99_ms: pct(getMiss, 99),
    cache_hit_ratio: +(m.CacheHit.count / (m.CacheHit.count + m.CacheMiss.count)).toFixed(4),
  };
  const detail = {
    ...result,
    at: new Date().toISOString(),
    ops: OPS,
    searches: search.length,
    gets: getHit.length + getMiss.length,
    errors,
    zipf_s: ZIPF_S,
    query_universe: QUERY_UNIVERSE,
    seed_seconds: seeded.seconds,
    warmup_ops: WARMUP_OPS,
    cache_hit_ratio_during_warmup: +(cold.CacheHit.count / Math.max(1, cold.CacheHit.count + cold.CacheMiss.count)).toFixed(4),
    mix_seconds: +seconds.toFixed(1),
    search_p99_vs_raw_p99: +(result.search_p99_ms / result.raw_p99_ms).toFixed(3),
    get_cached_p50_ms: pct(getHit, 50),
    get_uncached_p50_ms: pct(getMiss, 50),
  };
  mkdirSync(join(__dirname, '../../bench-results'), { recursive: true });
  writeFileSync(join(__dirname, '../../bench-results/search.json'), JSON.stringify(detail, null, 2) + '\n');
  await Promise.all([closeMongo(), closeOpenSearch(), closeRedis()]);
  if (errors > 0) process.stderr.write(`${errors} requests did not answer 200\n`);
  console.log(JSON.stringify(result));
  if (errors > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
