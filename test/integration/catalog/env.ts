/**
 * Imported first by every catalog integration test: points the catalog at the local engines and
 * gives this test file its own database, index alias and cache prefix, so files can run in parallel.
 * Must run before anything reads the catalog config (it is read once, at module load).
 */
import { randomBytes } from 'node:crypto';
import { engineEnv } from '../../../local/engines/endpoints';

export const RUN_ID = randomBytes(4).toString('hex');
Object.assign(process.env, engineEnv(), {
  CATALOG_DB: `catalog_it_${RUN_ID}`,
  CATALOG_INDEX_ALIAS: `it-products-${RUN_ID}`,
  CATALOG_CACHE_PREFIX: `it:${RUN_ID}:`,
  CATALOG_ALLOW_UNAUTHENTICATED_ADMIN: 'true',
  CATALOG_RELAY_GAP_MS: '1000',
  POWERTOOLS_METRICS_DISABLED: 'true',
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
});
