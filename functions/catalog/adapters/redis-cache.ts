import type Redis from 'ioredis';
import { logger } from '../../shared/powertools';
import type { ProductState } from '../domain/product';
import type { CatalogCache } from '../ports';
import type { SearchResultT } from '../schemas';

/**
 * Cache entries in Redis:
 *  - `<prefix>p:<productId>` = `<version>|<json>`, 1 h. Set only when no equal or newer version is
 *    there (Lua compare-and-set), so a reader that fetched an old state while the projector wrote a
 *    new one cannot put the old one back.
 *  - `<prefix>s:<generation>:<hash of the normalized query>`, 5 min. The projector bumps the
 *    generation when a batch changed anything, which invalidates every cached search at once.
 * A cache failure never fails a read: it is logged and the read goes to the engine.
 */
const SET_IF_NEWER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^(%d+)|'))
  if v and v >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1`;

type RedisWithScript = Redis & { catalogSetIfNewer(key: string, version: number, json: string, ttl: number): Promise<number> };

export class RedisCatalogCache implements CatalogCache {
  private readonly redis: RedisWithScript;

  constructor(
    redis: Redis,
    readonly prefix: string,
    readonly productTtlSeconds: number,
    readonly searchTtlSeconds: number,
  ) {
    if (!(redis as unknown as Partial<RedisWithScript>).catalogSetIfNewer) redis.defineCommand('catalogSetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER });
    this.redis = redis as RedisWithScript;
  }

  productKey(id: string): string {
    return `${this.prefix}p:${id}`;
  }
  get generationKey(): string {
    return `${this.prefix}s:gen`;
  }

  async getProduct(productId: string): Promise<ProductState | undefined> {
    try {
      const v = await this.redis.get(this.productKey(productId));
      if (!v) return undefined;
      return JSON.parse(v.slice(v.indexOf('|') + 1)) as ProductState;
    } catch (err) {
      logger.warn('cache read failed', { productId, error: String(err) });
      return undefined;
    }
  }

  async putProduct(state: ProductState): Promise<void> {
    try {
      await this.redis.catalogSetIfNewer(this.productKey(state.productId), state.version, JSON.stringify(state), this.productTtlSeconds);
    } catch (err) {
      logger.warn('cache write failed', { productId: state.productId, error: String(err) });
    }
  }

  private async searchKey(key: string): Promise<string> {
    const gen = (await this.redis.get(this.generationKey)) ?? '0';
    return `${this.prefix}s:${gen}:${key}`;
  }

  async getSearch(key: string): Promise<SearchResultT | undefined> {
    try {
      const v = await this.redis.get(await this.searchKey(key));
      return v ? (JSON.parse(v) as SearchResultT) : undefined;
    } catch (err) {
      logger.warn('cache read failed', { error: String(err) });
      return undefined;
    }
  }

  async putSearch(key: string, result: SearchResultT): Promise<void> {
    try {
      await this.redis.set(await this.searchKey(key), JSON.stringify(result), 'EX', this.searchTtlSeconds);
    } catch (err) {
      logger.warn('cache write failed', { error: String(err) });
    }
  }

  /** The projector's invalidation: new product states replace older cached ones; searches are invalidated. */
  async productsChanged(states: readonly ProductState[]): Promise<void> {
    const p = this.redis.pipeline();
    for (const s of states) (p as unknown as RedisWithScript).catalogSetIfNewer(this.productKey(s.productId), s.version, JSON.stringify(s), this.productTtlSeconds);
    p.incr(this.generationKey);
    const res = await p.exec();
    const failed = (res ?? []).find(([e]) => e);
    // Unlike reads, a failed invalidation must not be swallowed: the batch is retried.
    if (failed?.[0]) throw failed[0];
  }
}
