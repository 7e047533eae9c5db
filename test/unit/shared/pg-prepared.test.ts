import { PreparingClient, idleTimeoutMs, poolOptions, preparedStatementsEnabled, statementName } from '../../../functions/shared/adapters/pg';

describe('prepared statements switch', () => {
  it('is on for a direct connection (PG_URL) and off behind RDS Proxy (DB_HOST), unless set', () => {
    expect(preparedStatementsEnabled({ PG_URL: 'postgres://x' })).toBe(true);
    expect(preparedStatementsEnabled({ DB_HOST: 'proxy.example', DB_SECRET_ARN: 'arn' })).toBe(false);
    expect(preparedStatementsEnabled({ PG_URL: 'postgres://x', PG_PREPARED_STATEMENTS: 'false' })).toBe(false);
    expect(preparedStatementsEnabled({ DB_HOST: 'proxy.example', PG_PREPARED_STATEMENTS: 'true' })).toBe(true);
  });

  it('names a text the same way every time, and different texts differently', () => {
    const a = statementName('SELECT $1::int AS a');
    expect(a).toMatch(/^p_[0-9a-f]{24}$/);
    expect(statementName('SELECT $1::int AS a')).toBe(a);
    expect(statementName('SELECT $1::int AS b')).not.toBe(a);
  });

  it('poolOptions plugs the preparing client in only when enabled', () => {
    const saved = process.env.PG_PREPARED_STATEMENTS;
    try {
      process.env.PG_PREPARED_STATEMENTS = 'true';
      expect(poolOptions('postgres://x', 3)).toMatchObject({ connectionString: 'postgres://x', max: 3, Client: PreparingClient });
      process.env.PG_PREPARED_STATEMENTS = 'false';
      expect(poolOptions('postgres://x', 3)).not.toHaveProperty('Client');
    } finally {
      if (saved === undefined) delete process.env.PG_PREPARED_STATEMENTS;
      else process.env.PG_PREPARED_STATEMENTS = saved;
    }
  });
});

describe('idle connection timeout (PG_IDLE_TIMEOUT_MS)', () => {
  it('is 5 minutes unless set (node-postgres alone closes idle connections after 10 s)', () => {
    expect(idleTimeoutMs({})).toBe(300_000);
    expect(idleTimeoutMs({ PG_IDLE_TIMEOUT_MS: ' ' })).toBe(300_000);
    expect(idleTimeoutMs({ PG_IDLE_TIMEOUT_MS: '15000' })).toBe(15_000);
    expect(idleTimeoutMs({ PG_IDLE_TIMEOUT_MS: '0' })).toBe(0);
  });

  it('a value that is not a whole number of milliseconds is refused, naming the variable', () => {
    for (const bad of ['-1', '1.5', 'ten', '10s']) expect(() => idleTimeoutMs({ PG_IDLE_TIMEOUT_MS: bad })).toThrow(/PG_IDLE_TIMEOUT_MS.*whole number.*'/);
  });

  it('poolOptions carries it', () => {
    const saved = process.env.PG_IDLE_TIMEOUT_MS;
    try {
      process.env.PG_IDLE_TIMEOUT_MS = '1234';
      expect(poolOptions('postgres://x', 3)).toMatchObject({ idleTimeoutMillis: 1234 });
    } finally {
      if (saved === undefined) delete process.env.PG_IDLE_TIMEOUT_MS;
      else process.env.PG_IDLE_TIMEOUT_MS = saved;
    }
  });
});
