import Redis from 'ioredis';
import { secretString } from './secrets';

/**
 * Redis (ElastiCache) client, made once per cold start.
 * Locally: REDIS_URL=redis://127.0.0.1:16379.
 * On AWS: REDIS_HOST, REDIS_PORT, REDIS_AUTH_SECRET_ARN (the AUTH token), TLS in transit.
 */
let client: Promise<Redis> | undefined;

/**
 * Every call is bounded: a connect within 2 s, a command within REDIS_COMMAND_TIMEOUT_MS (default
 * 1 s), TCP keep-alive on. ioredis alone waits up to 10 s per connect and has no command timeout, so a
 * node that stops answering (a half-open socket after a failover) held callers, the authorizer's
 * session check among them, until their Lambda timed out.
 */
function bounded(): { connectTimeout: number; commandTimeout: number; keepAlive: number; maxRetriesPerRequest: number } {
  const raw = Number(process.env.REDIS_COMMAND_TIMEOUT_MS ?? 1000);
  return { connectTimeout: 2000, commandTimeout: Number.isInteger(raw) && raw > 0 ? raw : 1000, keepAlive: 10_000, maxRetriesPerRequest: 2 };
}

export function getRedis(): Promise<Redis> {
  client ??= (async () => {
    if (process.env.REDIS_URL) return new Redis(process.env.REDIS_URL, { ...bounded(), enableOfflineQueue: true });
    const host = process.env.REDIS_HOST;
    const arn = process.env.REDIS_AUTH_SECRET_ARN;
    if (!host || !arn) throw new Error('invalid environment: set REDIS_URL, or REDIS_HOST and REDIS_AUTH_SECRET_ARN');
    const password = await secretString(arn);
    return new Redis({ host, port: Number(process.env.REDIS_PORT ?? 6379), password, tls: {}, ...bounded() });
  })();
  client.catch(() => (client = undefined));
  return client;
}

export async function closeRedis(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await (await c).quit().catch(() => undefined);
}
