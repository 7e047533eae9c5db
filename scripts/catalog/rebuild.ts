/**
 * `npm run catalog:rebuild -- [--keep-old]`
 * Replays the event store into a fresh index, swaps the alias to it atomically, then drops the
 * old index (unless --keep-old). Progress bar on stderr; a JSON summary on stdout.
 */
import '../../local/polyfills';
import { SingleBar, Presets } from 'cli-progress';
import { closeMongo } from '../../functions/shared/adapters/mongo';
import { closeOpenSearch } from '../../functions/shared/adapters/opensearch';
import { closeRedis, getRedis } from '../../functions/shared/adapters/redis';
import { rebuildIndex } from '../../functions/catalog/usecases/rebuild';
import { catalogCache, config, eventStore, searchIndex } from '../../functions/catalog/wiring';

async function main(): Promise<void> {
  const t0 = Date.now();
  const { admin, index } = await searchIndex();
  const bar = new SingleBar({ format: 'replay [{bar}] {percentage}% | {value}/{total} events | {eta}s left', hideCursor: true }, Presets.shades_classic);
  const out = await rebuildIndex({
    store: await eventStore(),
    admin,
    index,
    keepOld: process.argv.includes('--keep-old'),
    onStart: (total) => bar.start(total, 0),
    onProgress: (n) => bar.update(n),
  });
  bar.stop();
  await (await getRedis()).incr((await catalogCache()).generationKey);
  console.log(JSON.stringify({ alias: config.CATALOG_INDEX_ALIAS, ...out, seconds: (Date.now() - t0) / 1000 }));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => Promise.all([closeMongo(), closeOpenSearch(), closeRedis()]));
