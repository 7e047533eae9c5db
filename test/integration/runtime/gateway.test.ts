import http from 'node:http';
import { signToken } from '../../../functions/shared/auth';
import { startPlatform, type Platform } from '../../../local/runtime';
import { testManifest } from '../../fixtures/runtime/manifest';

jest.setTimeout(60000);

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ manifest: testManifest(), components: ['gateway'], port: 0, executionStore: 'memory' });
});
afterAll(async () => {
  await p?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${p.url}${path}`, { headers });
/**
 * GET through node:http, which sends headers as given: an array value once per value (fetch joins them
 * into one line) and a `__proto__` name (fetch drops it).
 */
const rawGet = (path: string, headers: http.OutgoingHttpHeaders) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get(`${p.url}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode as number, body }));
    }).on('error', reject);
  });

describe('local API gateway', () => {
  it('answers /health and serves the OpenAPI document of the manifest', async () => {
    expect((await get('/health')).status).toBe(200);
    const res = await get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/orders', '/orders/{id}', '/test/items/{id}']));
  });

  it('round-trips a route through the handler with a real proxy event', async () => {
    const res = await get('/test/items/it%20em-1?x=1&x=2&y=z', { 'X-Custom': 'v' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-echo')).toBe('yes');
    const e = (await res.json()) as Record<string, any>;
    expect(e).toMatchObject({
      resource: '/test/items/{id}',
      path: '/test/items/it em-1',
      httpMethod: 'GET',
      pathParameters: { id: 'it em-1' },
      queryStringParameters: { x: '2', y: 'z' },
      multiValueQueryStringParameters: { x: ['1', '2'], y: ['z'] },
      body: null,
      isBase64Encoded: false,
      requestContext: { stage: 'local', sourceIp: '127.0.0.1', authorizer: null },
    });
    expect(e.headers['X-Custom'] ?? e.headers['x-custom']).toBe('v');
    expect(e.headers).toMatchObject({ 'X-Forwarded-For': '127.0.0.1', 'X-Forwarded-Proto': 'http', 'X-Forwarded-Port': new URL(p.url).port });
    expect(e.requestContext.requestId).toBe(res.headers.get('x-amzn-requestid'));
  });

  it('routes query keys and header names that are Object.prototype properties normally (not 500)', async () => {
    const res = await rawGet('/test/items/1?constructor=1&__proto__=2&toString=3', { constructor: 'x', ['__proto__']: 'y' });
    expect(res.status).toBe(200);
    const e = JSON.parse(res.body) as Record<string, any>;
    expect(e.queryStringParameters).toEqual({ constructor: '1', ['__proto__']: '2', toString: '3' });
    expect(e.multiValueQueryStringParameters).toMatchObject({ constructor: ['1'], ['__proto__']: ['2'], toString: ['3'] });
    expect(e.headers).toMatchObject({ constructor: 'x', ['__proto__']: 'y' });
    // real routes: the handler's answer for a public one, the authorizer's 401 without a token for a protected one
    expect((await get('/inventory/gateway-test-no-such-sku?constructor=1')).status).toBe(404); // InventoryApi: unknown SKU
    expect((await get('/orders?__proto__=1')).status).toBe(401);
  });

  it('passes the request body and prefers a literal resource over a parameter', async () => {
    const res = await fetch(`${p.url}/test/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1 }) });
    expect(((await res.json()) as { body: string }).body).toBe('{"a":1}');
    const lit = (await (await get('/test/items/special')).json()) as { resource: string; pathParameters: unknown };
    expect(lit).toMatchObject({ resource: '/test/items/special', pathParameters: null });
  });

  it('runs the authorizer and passes its context to the handler', async () => {
    const token = await signToken({ userId: 'user-42', roles: ['customer'] });
    const res = await get('/test/me', { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    const e = (await res.json()) as { requestContext: { authorizer: Record<string, unknown> } };
    expect(e.requestContext.authorizer).toMatchObject({ userId: 'user-42', roles: 'customer', principalId: 'user-42' });
  });

  it('caches the authorizer decision per Authorization header, as the deployed API does (5 min)', async () => {
    const token = await signToken({ userId: 'cached-user', roles: ['customer'] });
    expect((await get('/test/me', { Authorization: `Bearer ${token}` })).status).toBe(200);
    const secret = process.env.JWT_SECRET;
    process.env.JWT_SECRET = 'rotated-secret-0123456789abcdef';
    try {
      // the token no longer verifies, but the cached decision still lets it through (AWS behaves the same)
      expect((await get('/test/me', { Authorization: `Bearer ${token}` })).status).toBe(200);
      const fresh = await signToken({ userId: 'u', roles: [] }, { secret: secret! });
      expect((await get('/test/me', { Authorization: `Bearer ${fresh}` })).status).toBe(401);
    } finally {
      process.env.JWT_SECRET = secret;
    }
  });

  it('caches the decision under the Authorization value the authorizer verified, also with the header repeated', async () => {
    const token = await signToken({ userId: 'dup-user', roles: ['customer'] });
    // the authorizer event's headers carry the last value: the valid token is what gets verified
    expect((await rawGet('/test/me', { Authorization: ['Bearer junk', `Bearer ${token}`] })).status).toBe(200);
    expect((await get('/test/me', { Authorization: 'Bearer junk' })).status).toBe(401);
  });

  it('rejects a protected route without a token or with a bad one with 401', async () => {
    const none = await get('/test/me');
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: 'UnauthorizedError', message: 'missing or invalid token' });
    expect(none.headers.get('access-control-allow-origin')).toBe('*');
    const forged = await signToken({ userId: 'u', roles: ['admin'] }, { secret: 'not-the-server-secret-123' });
    expect((await get('/test/me', { Authorization: `Bearer ${forged}` })).status).toBe(401);
    const expired = await signToken({ userId: 'u', roles: [] }, { expiresIn: Math.floor(Date.now() / 1000) - 10 });
    expect((await get('/test/me', { Authorization: `Bearer ${expired}` })).status).toBe(401);
  });

  it('rejects an admin route for a caller without the admin role with 403', async () => {
    const customer = await signToken({ userId: 'u', roles: ['customer'] });
    const res = await fetch(`${p.url}/inventory/sku-1/restock`, { method: 'POST', headers: { Authorization: `Bearer ${customer}` }, body: '{}' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'ForbiddenError', message: expect.stringMatching(/not authorized/) });
  });

  it('lets an admin through to an admin route (the handler answers)', async () => {
    const admin = await signToken({ userId: 'a', roles: ['customer', 'admin'] });
    const res = await fetch(`${p.url}/inventory/sku-1/restock`, { method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' });
    expect([401, 403, 404, 405, 502]).not.toContain(res.status); // InventoryApi's own answer (400 for this body)
  });

  it('rejects an unknown route with 404 and a wrong method with 405', async () => {
    const nf = await get('/nope');
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { message: string }).message).toMatch(/no route for GET \/nope/);
    const na = await fetch(`${p.url}/test/items/1`, { method: 'DELETE' });
    expect(na.status).toBe(405);
    expect(na.headers.get('allow')).toBe('GET');
  });

  it('answers a CORS preflight on a known path like the deployed API', async () => {
    const res = await fetch(`${p.url}/test/items/1`, { method: 'OPTIONS', headers: { Origin: 'http://shop.example', 'Access-Control-Request-Method': 'GET' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect((await fetch(`${p.url}/nope`, { method: 'OPTIONS' })).status).toBe(404);
  });

  it('rejects a body over 10 MB with 413', async () => {
    const res = await fetch(`${p.url}/test/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
  });

  it('answers 502 "Internal server error" when the handler throws', async () => {
    const res = await get('/test/crash');
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ message: 'Internal server error' });
  });
});
