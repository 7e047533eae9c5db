import Redis from 'ioredis';
import { secretString } from './secrets';

/**
 * Redis (ElastiCache) client, made once per cold start.
 * Locally: REDIS_URL=redis://127.0.0.1:16379.
 * On AWS: REDIS_HOST, REDIS_PORT, REDIS_AUTH_SECRET_ARN (the AUTH token), TLS in transit.
 */
let client: Promise<Redis> | undefined;

export function getRedis(): Promise<Redis> {
  client ??= (async () => {
    if (process.env.REDIS_URL) return new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
    const host = process.env.REDIS_HOST;
    const arn = process.env.REDIS_AUTH_SECRET_ARN;
    if (!host || !arn) throw new Error('invalid environment: set REDIS_URL, or REDIS_HOST and REDIS_AUTH_SECRET_ARN');
    const password = await secretString(arn);
    return new Redis({ host, port: Number(process.env.REDIS_PORT ?? 6379), password, tls: {}, maxRetriesPerRequest: 2 });
  })();
  client.catch(() => (client = undefined));
  return client;
}

export async function closeRedis(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await (await c).quit().catch(() => undefined);
}
