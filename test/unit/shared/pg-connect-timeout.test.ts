/**
 * PG_CONNECT_TIMEOUT_MS: a PostgreSQL that accepts the connection and never answers (a failover in
 * progress, a stalled proxy) fails the caller with an error the platform treats as transient, instead
 * of holding it until the Lambda times out. A real TCP server that never speaks; no engine needed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Pool } from 'pg';
import { connectTimeoutMs, poolOptions } from '../../../functions/shared/adapters/pg';
import { transientInfraKind } from '../../../functions/shared/errors';

describe('connect timeout (PG_CONNECT_TIMEOUT_MS)', () => {
  it('is 5 s unless set; 0 means no limit; anything else is refused, naming the variable', () => {
    expect(connectTimeoutMs({})).toBe(5000);
    expect(connectTimeoutMs({ PG_CONNECT_TIMEOUT_MS: '250' })).toBe(250);
    expect(connectTimeoutMs({ PG_CONNECT_TIMEOUT_MS: '0' })).toBe(0);
    for (const bad of ['-1', '1.5', '5s']) expect(() => connectTimeoutMs({ PG_CONNECT_TIMEOUT_MS: bad })).toThrow(/PG_CONNECT_TIMEOUT_MS.*whole number/);
  });

  describe('against a server that accepts and never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    let port = 0;
    beforeAll(async () => {
      server = createServer((s) => void sockets.push(s)); // holds every connection, says nothing
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });

    it('the pool gives up with a transient database error instead of waiting for ever', async () => {
      const saved = process.env.PG_CONNECT_TIMEOUT_MS;
      process.env.PG_CONNECT_TIMEOUT_MS = '300';
      const pool = new Pool(poolOptions(`postgres://u:p@127.0.0.1:${port}/db`, 1));
      try {
        // Without a limit this never settles; the race makes that a failure, not a hung test.
        const hung = new Promise((_, reject) => setTimeout(() => reject(new Error('still waiting after 10 s')), 10_000).unref());
        const err = (await Promise.race([pool.query('SELECT 1'), hung]).then(() => undefined, (e: Error) => e))!;
        expect(err.message).toMatch(/connection timeout|timeout exceeded when trying to connect/);
        expect(transientInfraKind(err)).toBe('database');
      } finally {
        if (saved === undefined) delete process.env.PG_CONNECT_TIMEOUT_MS;
        else process.env.PG_CONNECT_TIMEOUT_MS = saved;
        await pool.end().catch(() => undefined);
      }
    });
  });
});
