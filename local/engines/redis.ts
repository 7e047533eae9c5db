/**
 * Redis 7 from Debian's packages (redis-server), on 127.0.0.1 only, no persistence
 * (a cache and session store: losing it on restart is what ElastiCache failover looks like too).
 */
import Redis from 'ioredis';
import { PORTS, type Endpoints } from './endpoints';
import type { Engine, Log } from './types';
import { aptInstall, ensureDir, spawnDaemon, stateDir, which } from './util';

const bin = (): string | undefined => which('redis-server') ?? which('valkey-server');

export const redis: Engine = {
  name: 'redis',
  title: 'Redis',
  marker: `:${PORTS.redis}`,
  startTimeoutMs: 15_000,
  where: (e: Endpoints) => e.redisUrl,
  installed: () => bin() !== undefined,

  async install(log: Log) {
    if (bin()) return;
    await aptInstall(['redis-server'], log);
  },

  async launch() {
    const b = bin();
    if (!b) throw new Error('redis-server is not installed (run: npm run engines -- install)');
    const dir = ensureDir(stateDir('redis'));
    return spawnDaemon('redis', b, [
      '--bind', '127.0.0.1',
      '--port', String(PORTS.redis),
      '--dir', dir,
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--maxmemory', '256mb',
      '--maxmemory-policy', 'noeviction',
    ]);
  },

  async probe(e: Endpoints) {
    const c = new Redis(e.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1500, commandTimeout: 1500 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  },
};
