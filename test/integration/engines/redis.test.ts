/** Redis through the project's adapter (functions/shared/adapters/redis.ts): set/get with a TTL, and expiry. */
import { randomUUID } from 'node:crypto';
import { closeRedis, getRedis } from '../../../functions/shared/adapters/redis';

const prefix = `engines-it:${randomUUID()}`;

afterAll(async () => {
  const r = await getRedis();
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  await closeRedis();
});

describe('Redis (adapter redis.ts)', () => {
  it('stores a value with a TTL and reads it back before it expires', async () => {
    const r = await getRedis();
    const key = `${prefix}:session`;
    expect(await r.set(key, JSON.stringify({ userId: 'u-1' }), 'EX', 3600)).toBe('OK');
    expect(JSON.parse((await r.get(key))!)).toEqual({ userId: 'u-1' });
    const ttl = await r.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('expires a key after its TTL: get returns null and ttl reports -2', async () => {
    const r = await getRedis();
    const key = `${prefix}:short`;
    await r.set(key, 'v', 'PX', 100);
    expect(await r.get(key)).toBe('v');
    // Wait for the expiry itself (bounded by the jest timeout), not for a fixed time.
    while ((await r.exists(key)) === 1) await new Promise((res) => setTimeout(res, 25));
    expect(await r.get(key)).toBeNull();
    expect(await r.ttl(key)).toBe(-2);
  });

  it('rejects a second SET NX on a key that exists (the idempotency/lock primitive)', async () => {
    const r = await getRedis();
    const key = `${prefix}:nx`;
    expect(await r.set(key, 'first', 'PX', 60_000, 'NX')).toBe('OK');
    expect(await r.set(key, 'second', 'PX', 60_000, 'NX')).toBeNull();
    expect(await r.get(key)).toBe('first');
  });
});
