import { z } from 'zod';
import { loadConfig } from '../shared/config';

const bool = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

export const CatalogConfigSchema = z.object({
  /** Dev/test only: lets callers without an admin token run catalog commands. */
  CATALOG_ALLOW_UNAUTHENTICATED_ADMIN: bool,
  /** Database of the event store; defaults to the one in MONGO_URL, else 'shop'. */
  CATALOG_DB: z.string().min(1).optional(),
  /** OpenSearch alias the queries read and the projector writes. */
  CATALOG_INDEX_ALIAS: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).default('products'),
  CATALOG_INDEX_REPLICAS: int(0),
  CATALOG_CACHE_PREFIX: z.string().default('catalog:'),
  CATALOG_PRODUCT_TTL_SECONDS: int(3600, 1),
  CATALOG_SEARCH_TTL_SECONDS: int(300, 1),
  CATALOG_TOPIC: z.string().min(1).default('catalog-events'),
  CATALOG_RELAY_BATCH: int(500, 1),
  /** How long the relay waits for a seq that was allocated but not (yet) written before fencing it. */
  CATALOG_RELAY_GAP_MS: int(5000, 0),
  /** Upper bound of one relay pass. */
  CATALOG_RELAY_MAX_MS: int(45000, 100),
  /** The relay handler keeps polling this long (low latency under a 1-minute schedule);
   * default 50 s under Lambda (timeout 60 s), 0 (one pass) elsewhere. */
  CATALOG_RELAY_LOOP_MS: z.coerce.number().int().min(0).optional(),
  CATALOG_RELAY_IDLE_POLL_MS: int(200, 10),
});
export type CatalogConfig = Omit<z.infer<typeof CatalogConfigSchema>, 'CATALOG_RELAY_LOOP_MS'> & { CATALOG_RELAY_LOOP_MS: number };

export function catalogConfig(env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  const c = loadConfig(CatalogConfigSchema, env);
  return { ...c, CATALOG_RELAY_LOOP_MS: c.CATALOG_RELAY_LOOP_MS ?? (env.AWS_LAMBDA_FUNCTION_NAME ? 50_000 : 0) };
}
