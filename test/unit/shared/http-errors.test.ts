process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
import { toHttpResponse } from '../../../functions/shared/http';
import { ValidationError } from '../../../functions/shared/errors';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('toHttpResponse: a store or broker failing is a 503 to retry, never a 500', () => {
  it.each([
    ['PostgreSQL shutting down (restart, failover)', pgError('57P01', 'terminating connection due to administrator command'), 'database'],
    ['a deadlock', pgError('40P01', 'deadlock detected'), 'database'],
    ['too many connections', pgError('53300', 'sorry, too many clients already'), 'database'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 'database'],
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' }), undefined],
  ])('%s', (_what, err, dependency) => {
    const r = toHttpResponse(err);
    expect(r.statusCode).toBe(503);
    expect(r.headers).toMatchObject({ 'retry-after': '1' });
    const body = JSON.parse(r.body) as { error: Record<string, unknown> };
    expect(body.error['code']).toBe('DEPENDENCY_UNAVAILABLE');
    expect(body.error['dependency']).toBe(dependency);
    expect(r.body).not.toContain('10.0.0.7'); // internal addresses stay in the log
  });

  it('a constraint violation or a bug stays a 500 (not retried blindly)', () => {
    expect(toHttpResponse(pgError('23505', 'duplicate key value violates unique constraint')).statusCode).toBe(500);
    expect(toHttpResponse(new TypeError('x is undefined')).statusCode).toBe(500);
  });

  it('named errors keep their status', () => {
    expect(toHttpResponse(new ValidationError('bad', [{ path: 'items', message: 'required' }])).statusCode).toBe(400);
  });
});
