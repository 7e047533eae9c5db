/** Prepared statements on the real PostgreSQL: what the saga's pool does with a direct connection (PG_URL). */
import { Client } from 'pg';
import { endpoints } from '../../../local/engines/endpoints';
import { closePool, getPool, inlineStatement, withTransaction } from '../../../functions/shared/adapters/pg';
import { logger } from '../../../functions/shared/powertools';

jest.setTimeout(30000);
const saved = process.env.PG_PREPARED_STATEMENTS;
beforeAll(() => {
  process.env.PG_URL ??= endpoints().pgUrl;
  delete process.env.PG_PREPARED_STATEMENTS; // the default for PG_URL
});
afterAll(async () => {
  await closePool();
  if (saved !== undefined) process.env.PG_PREPARED_STATEMENTS = saved;
});

describe('the pool with PG_URL', () => {
  it('prepares parameterised queries once per connection and keeps simple multi-statement queries simple', async () => {
    await withTransaction(async (c) => {
      for (let i = 0; i < 6; i++) expect((await c.query<{ x: number }>('SELECT $1::int * 2 AS x', [i])).rows[0]!.x).toBe(i * 2);
      const multi = (await c.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as Array<{ rows: unknown[] }>;
      expect(multi.map((r) => r.rows[0])).toEqual([{ a: 1 }, { b: 2 }]);
      const prepared = await c.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements WHERE statement LIKE $1', ['%$1::int * 2%']);
      expect(prepared.rows.map((r) => r.statement)).toEqual(['SELECT $1::int * 2 AS x']);
    });
  });

  it('pool.query with a callback still works (pg-pool passes one)', async () => {
    const pool = await getPool();
    const rows = await new Promise<unknown[]>((resolve, reject) => pool.query('SELECT $1::text AS t', ['cb'], (err, r) => (err ? reject(err) : resolve(r.rows))));
    expect(rows).toEqual([{ t: 'cb' }]);
  });

  it('an error in a prepared statement is the database error, and the connection stays usable', async () => {
    const pool = await getPool();
    await expect(pool.query('SELECT 1 / $1::int AS z', [0])).rejects.toThrow(/division by zero/);
    expect((await pool.query('SELECT 1 / $1::int AS z', [1])).rows).toEqual([{ z: 1 }]);
  });
});

describe('inlineStatement: a parameterised statement inside a multi-statement simple query', () => {
  const text = 'SELECT $1::text AS t, $2::int[] AS a, $3::jsonb AS j, $4::text AS n, $5::timestamptz AS d';
  const hostile = "O'Brien'); DROP TABLE orders; --\\";
  const values = [hostile, [1, 2], { k: "v'" }, null, new Date('2026-01-02T03:04:05.678Z')];
  const expected = { t: hostile, a: [1, 2], j: { k: "v'" }, n: null, d: new Date('2026-01-02T03:04:05.678Z') };
  const run = async (flag: string) => {
    process.env.PG_PREPARED_STATEMENTS = flag;
    try {
      return await withTransaction(async (c) => {
        const names = async () => (await c.query<{ name: string }>("SELECT name FROM pg_prepared_statements WHERE name LIKE 's\\_%' AND statement LIKE $1", ['%$5::timestamptz AS d'])).rows.map((r) => r.name);
        const before = await names(); // the pool may hand out a connection an earlier test prepared on
        const out: Array<{ sql: string; rows: unknown[] }> = [];
        for (let i = 0; i < 2; i++) {
          const sql = await inlineStatement(c, text, values);
          const r = (await c.query(`SELECT 1 AS one; ${sql}`)) as unknown as Array<{ rows: unknown[] }>;
          out.push({ sql, rows: r[1]!.rows });
        }
        return { out, before, prepared: await names() };
      });
    } finally {
      delete process.env.PG_PREPARED_STATEMENTS;
    }
  };

  it('prepared: EXECUTE of a statement PREPAREd once per connection, values as quoted literals', async () => {
    const { out, prepared } = await run('true');
    expect(out[0]!.sql).toMatch(/^EXECUTE s_[0-9a-f]{24}\(/);
    expect(out[1]!.sql).toBe(out[0]!.sql);
    expect(out.map((o) => o.rows)).toEqual([[expected], [expected]]);
    expect(prepared).toEqual([out[0]!.sql.slice('EXECUTE '.length, out[0]!.sql.indexOf('('))]);
  });

  it('inline (RDS Proxy): the text with its parameters as quoted literals, nothing prepared', async () => {
    const { out, before, prepared } = await run('false');
    expect(out[0]!.sql.startsWith('SELECT ')).toBe(true);
    expect(out[0]!.sql).toContain("E'O''Brien''); DROP TABLE orders; --\\\\'");
    expect(out.map((o) => o.rows)).toEqual([[expected], [expected]]);
    expect(prepared).toEqual(before);
  });

  it('a $n without a value is an error, not a NULL', async () => {
    process.env.PG_PREPARED_STATEMENTS = 'false';
    try {
      await withTransaction(async (c) => {
        await expect(inlineStatement(c, 'SELECT $1::int, $2::int', [1])).rejects.toThrow('no value for $2');
      });
    } finally {
      delete process.env.PG_PREPARED_STATEMENTS;
    }
  });
});

describe('the pool when PostgreSQL ends an idle connection (a restart, an RDS failover)', () => {
  it('logs it and carries on: the next query gets a new connection (it used to crash the process)', async () => {
    await closePool();
    const pool = await getPool();
    const first = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid; // back in the pool, idle
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      const admin = new Client({ connectionString: process.env.PG_URL });
      await admin.connect();
      expect((await admin.query('SELECT pg_terminate_backend($1) AS ok', [first])).rows[0]).toEqual({ ok: true });
      await admin.end();
      for (let i = 0; i < 50 && warned.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(warned).toHaveBeenCalledWith('a PostgreSQL connection was closed (idle); the pool replaces it', expect.objectContaining({ code: '57P01' }));
      const next = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(next).not.toBe(first);
    } finally {
      warned.mockRestore();
    }
  });

  it('the same for a connection checked out between two queries: its holder gets an error, the pool a new connection', async () => {
    await closePool();
    const pool = await getPool();
    const held = await pool.connect();
    const pid = (await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      const admin = new Client({ connectionString: process.env.PG_URL });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await admin.end();
      for (let i = 0; i < 50 && warned.mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(warned).toHaveBeenCalledWith('a PostgreSQL connection was closed (in use); the pool replaces it', expect.objectContaining({ code: '57P01' }));
      await expect(held.query('SELECT 1')).rejects.toThrow(/not queryable|terminat/i);
      held.release();
      const next = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      expect(next).not.toBe(pid);
    } finally {
      warned.mockRestore();
    }
  });
});

describe('idle connections (PG_IDLE_TIMEOUT_MS)', () => {
  const savedIdle = process.env.PG_IDLE_TIMEOUT_MS;
  afterEach(async () => {
    await closePool();
    if (savedIdle === undefined) delete process.env.PG_IDLE_TIMEOUT_MS;
    else process.env.PG_IDLE_TIMEOUT_MS = savedIdle;
  });
  const backendsOfPool = async (pids: number[]) => {
    const admin = new Client({ connectionString: process.env.PG_URL });
    await admin.connect();
    try {
      return Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])).rows[0]!.n);
    } finally {
      await admin.end();
    }
  };
  const openFour = async () => {
    const pool = await getPool();
    const held = await Promise.all([1, 2, 3, 4].map(() => pool.connect()));
    const pids = await Promise.all(held.map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
    held.forEach((c) => c.release());
    return { pool, pids };
  };

  it('are kept by default past a pause in traffic: the next load step reuses them instead of opening new ones', async () => {
    delete process.env.PG_IDLE_TIMEOUT_MS;
    await closePool();
    const { pool, pids } = await openFour();
    expect(pool.options.idleTimeoutMillis).toBe(300_000);
    await new Promise((r) => setTimeout(r, 700));
    expect(pool.totalCount).toBe(4);
    expect(await backendsOfPool(pids)).toBe(4);
  });

  it('are closed after the configured time when one is set', async () => {
    process.env.PG_IDLE_TIMEOUT_MS = '200';
    await closePool();
    const { pool, pids } = await openFour();
    for (let i = 0; i < 50 && pool.totalCount > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pool.totalCount).toBe(0);
    for (let i = 0; i < 50 && (await backendsOfPool(pids)) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await backendsOfPool(pids)).toBe(0);
  });
});
