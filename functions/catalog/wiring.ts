import { getKafka, withProducer } from '../shared/adapters/kafka';
import { getMongoDb } from '../shared/adapters/mongo';
import { getOpenSearch } from '../shared/adapters/opensearch';
import { getRedis } from '../shared/adapters/redis';
import { MongoEventStore } from './adapters/mongo-event-store';
import { KafkaCatalogPublisher } from './adapters/kafka-publisher';
import { CatalogIndexAdmin, OpenSearchCatalogIndex } from './adapters/opensearch-index';
import { RedisCatalogCache } from './adapters/redis-cache';
import { catalogConfig, type CatalogConfig } from './config';

/**
 * Adapters, created once per cold start (lazily, so a handler only connects to what it uses).
 * Config is read once, at module load; a bad variable fails the cold start naming it.
 */
export const config: CatalogConfig = catalogConfig();

let store: Promise<MongoEventStore> | undefined;
let index: Promise<{ index: OpenSearchCatalogIndex; admin: CatalogIndexAdmin }> | undefined;
let cache: Promise<RedisCatalogCache> | undefined;

export function eventStore(): Promise<MongoEventStore> {
  store ??= (async () => {
    const s = new MongoEventStore(await getMongoDb(config.CATALOG_DB));
    await s.ensureIndexes();
    return s;
  })();
  store.catch(() => (store = undefined));
  return store;
}

export function searchIndex(): Promise<{ index: OpenSearchCatalogIndex; admin: CatalogIndexAdmin }> {
  index ??= (async () => {
    const client = getOpenSearch();
    const admin = new CatalogIndexAdmin(client, config.CATALOG_INDEX_ALIAS, config.CATALOG_INDEX_REPLICAS);
    await admin.ensure();
    return { index: new OpenSearchCatalogIndex(client, config.CATALOG_INDEX_ALIAS), admin };
  })();
  index.catch(() => (index = undefined));
  return index;
}

export function catalogCache(): Promise<RedisCatalogCache> {
  cache ??= (async () => new RedisCatalogCache(await getRedis(), config.CATALOG_CACHE_PREFIX, config.CATALOG_PRODUCT_TTL_SECONDS, config.CATALOG_SEARCH_TTL_SECONDS))();
  cache.catch(() => (cache = undefined));
  return cache;
}

export function publisher(): KafkaCatalogPublisher {
  getKafka();
  return new KafkaCatalogPublisher(withProducer, config.CATALOG_TOPIC);
}
