import { compileTemplate, RouteTable } from '../../../local/runtime/routes';
import { manifest, allRoutes } from '../../../lib/manifest';

describe('API Gateway path templates', () => {
  const table = new RouteTable([
    { method: 'GET', path: '/orders', auth: 'user', handler: 'A' },
    { method: 'POST', path: '/orders', auth: 'user', handler: 'A' },
    { method: 'GET', path: '/orders/{id}', auth: 'user', handler: 'B' },
    { method: 'POST', path: '/orders/{id}/cancel', auth: 'user', handler: 'C' },
    { method: 'GET', path: '/orders/mine', auth: 'user', handler: 'D' },
    { method: 'GET', path: '/files/{proxy+}', auth: 'public', handler: 'E' },
  ]);

  it('matches a parameter and decodes its value', () => {
    const m = table.match('GET', '/orders/ab%20c');
    expect(m).toEqual({ kind: 'match', route: expect.objectContaining({ path: '/orders/{id}', handler: 'B' }), pathParameters: { id: 'ab c' } });
  });

  it('prefers a literal segment over a parameter', () => {
    const m = table.match('GET', '/orders/mine');
    expect(m.kind === 'match' && m.route.handler).toBe('D');
  });

  it('matches nested templates and a trailing slash', () => {
    const m = table.match('POST', '/orders/42/cancel/');
    expect(m.kind === 'match' && m.pathParameters).toEqual({ id: '42' });
  });

  it('matches a greedy parameter across segments', () => {
    const m = table.match('GET', '/files/a/b/c.txt');
    expect(m.kind === 'match' && m.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
  });

  it('rejects another method on a known path with the allowed ones', () => {
    expect(table.match('DELETE', '/orders/1')).toEqual({ kind: 'method-not-allowed', allowed: ['GET'] });
  });

  it('rejects an unknown path', () => {
    expect(table.match('GET', '/nope')).toEqual({ kind: 'not-found' });
    expect(table.match('GET', '/orders/1/2')).toEqual({ kind: 'not-found' });
  });

  it('does not let a parameter match an empty segment or a slash', () => {
    expect(table.match('GET', '/orders//').kind).not.toBe('match');
    expect(compileTemplate('/a/{b}').regex.test('/a/x/y')).toBe(false);
  });

  it('throws when a greedy parameter is not last', () => {
    expect(() => compileTemplate('/a/{p+}/b')).toThrow(/greedy parameter must be last/);
  });

  it('compiles every manifest route', () => {
    const t = RouteTable.fromManifest(manifest);
    for (const r of allRoutes()) {
      const concrete = r.path.replace(/\{[^}]+\}/g, 'x1');
      const m = t.match(r.method, concrete);
      expect(m.kind === 'match' && m.route.path).toBe(r.path);
    }
  });
});
