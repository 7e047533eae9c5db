/** Prepared statements on the real PostgreSQL: what the saga's pool does with a direct connection (PG_URL). */
import { endpoints } from '../../../local/engines/endpoints';
import { closePool, getPool, withTransaction } from '../../../functions/shared/adapters/pg';

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
