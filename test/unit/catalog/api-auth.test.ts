import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handler, routeKey } from '../../../functions/catalog/handlers/api';

// CATALOG_ALLOW_UNAUTHENTICATED_ADMIN defaults to false: commands need an admin caller.
const ev = (method: string, path: string, resource: string, authorizer: Record<string, string> | null, body?: unknown) =>
  ({ httpMethod: method, path, resource, pathParameters: null, queryStringParameters: null, headers: {}, body: body ? JSON.stringify(body) : null, isBase64Encoded: false, requestContext: { authorizer } }) as unknown as APIGatewayProxyEvent;

describe('catalog API auth and routing (no engines touched)', () => {
  it('rejects a command without credentials with 401', async () => {
    const r = await handler(ev('POST', '/products', '/products', null, { name: 'x', category: 'home', price: 1 }));
    expect(r.statusCode).toBe(401);
  });
  it('rejects a command from a customer with 403', async () => {
    const r = await handler(ev('POST', '/products', '/products', { userId: 'u1', roles: 'customer' }, { name: 'x', category: 'home', price: 1 }));
    expect(r.statusCode).toBe(403);
  });
  it('rejects an unknown route with 404', async () => {
    expect((await handler(ev('PUT', '/products', '/products', null))).statusCode).toBe(404);
  });
  it('routes by resource, or by path when the resource is missing', () => {
    expect(routeKey({ httpMethod: 'POST', resource: '/products/{id}/price', path: '/products/a/price' })).toBe('POST /products/{id}/price');
    expect(routeKey({ httpMethod: 'GET', resource: '', path: '/products/abc' })).toBe('GET /products/{id}');
    expect(routeKey({ httpMethod: 'GET', resource: '', path: '/search' })).toBe('GET /search');
  });
});
