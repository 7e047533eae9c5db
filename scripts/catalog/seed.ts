/**
 * `npm run catalog:seed -- [--count 10000] [--batch 5000] [--seed 42]`
 * Generates N realistic products and writes them as ProductCreated events to the event store (one
 * seq block per batch, unordered bulk inserts) and into the search index (bulk, refresh off while
 * seeding), with a progress bar on stderr. The relay will later publish the same events; the
 * projector skips them (same version), so seeding never disagrees with a rebuild.
 */
import '../../local/polyfills';
import { SingleBar, Presets } from 'cli-progress';
import { closeMongo } from '../../functions/shared/adapters/mongo';
import { closeOpenSearch } from '../../functions/shared/adapters/opensearch';
import { closeRedis, getRedis } from '../../functions/shared/adapters/redis';
import { catalogCache, eventStore, searchIndex } from '../../functions/catalog/wiring';
import { generateProduct, rng } from './generate';

export interface SeedOptions {
  readonly count: number;
  readonly batch?: number;
  readonly seed?: number;
  readonly progress?: boolean;
  /** Id prefix; a new one per run unless given. */
  readonly prefix?: string;
}

export async function seedCatalog(opts: SeedOptions): Promise<{ products: number; duplicates: number; seconds: number; index: string; prefix: string }> {
  const t0 = Date.now();
  const batch = opts.batch ?? 5000;
  const r = rng(opts.seed ?? 42);
  const prefix = opts.prefix ?? `sd${Date.now().toString(36)}`;
  const store = await eventStore();
  const { admin, index } = await searchIndex();
  const [target] = await admin.indicesOfAlias();
  if (!target) throw new Error('the catalog alias points to no index');
  const bar = opts.progress === false ? undefined : new SingleBar({ format: 'seed [{bar}] {percentage}% | {value}/{total} products | {eta}s left', hideCursor: true }, Presets.shades_classic);
  bar?.start(opts.count, 0);
  await store.repairCounter();
  await admin.setRefreshInterval(target, '-1');
  let products = 0;
  let duplicates = 0;
  try {
    const now = Date.now();
    for (let i = 0; i < opts.count; i += batch) {
      const n = Math.min(batch, opts.count - i);
      const states = Array.from({ length: n }, (_, k) => generateProduct(r, `${prefix}-${(i + k).toString(36)}`, now));
      const [stored] = await Promise.all([store.appendCreatedMany(states), index.applyVersioned(states, target)]);
      products += stored.inserted;
      duplicates += stored.duplicates;
      bar?.increment(n);
    }
  } finally {
    await admin.setRefreshInterval(target, '1s');
    bar?.stop();
  }
  await admin.refresh(target);
  // Cached searches are stale now.
  await (await getRedis()).incr((await catalogCache()).generationKey);
  return { products, duplicates, seconds: (Date.now() - t0) / 1000, index: target, prefix };
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

if (require.main === module) {
  seedCatalog({ count: arg('count', 10_000), batch: arg('batch', 5000), seed: arg('seed', 42) })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => Promise.all([closeMongo(), closeOpenSearch(), closeRedis()]));
}
