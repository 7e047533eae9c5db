import { getRedis } from '../../shared/adapters/redis';

/**
 * Sign-in nonces in Redis: `siwe:nonce:<nonce>` with the nonce's TTL. Taking one is GETDEL, so of two
 * requests carrying the same signed message only one finds it (a replay, or a double click, is 401).
 */
export const nonceKey = (nonce: string): string => `siwe:nonce:${nonce}`;

export async function storeNonce(nonce: string, ttlSeconds: number): Promise<void> {
  // NX: a nonce is 96 random hex digits, so a clash is not expected; NX makes one an error, not a reuse.
  const ok = await (await getRedis()).set(nonceKey(nonce), '1', 'EX', ttlSeconds, 'NX');
  if (ok !== 'OK') throw new Error('nonce collision');
}

/** True when the nonce was live, and it is gone now either way. */
export async function takeNonce(nonce: string): Promise<boolean> {
  return (await (await getRedis()).getdel(nonceKey(nonce))) !== null;
}
