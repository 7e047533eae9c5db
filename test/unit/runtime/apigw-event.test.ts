process.env.JWT_SECRET ??= 'unit-test-secret-0123456789';
import { buildAuthorizerEvent, buildProxyEvent, methodArn, policyAllows, type IncomingRequest } from '../../../local/runtime/apigw-event';
import { policyFor } from '../../../functions/platform/authorizer';

const req = (over: Partial<IncomingRequest> = {}): IncomingRequest => ({
  method: 'POST',
  url: '/orders/o%2F1/cancel?limit=5&tag=a&tag=b&q=x+y',
  headers: [
    ['Content-Type', 'application/json'],
    ['X-Trace', 'one'],
    ['x-trace', 'two'],
    ['Authorization', 'Bearer t'],
  ],
  body: Buffer.from('{"a":1}'),
  sourceIp: '10.0.0.7',
  ...over,
});
const route = { resource: '/orders/{id}/cancel', pathParameters: { id: 'o/1' } };

describe('API Gateway REST proxy event (v1)', () => {
  it('has the resource, decoded path, method, path and query parameters', () => {
    const e = buildProxyEvent(req(), route, { requestId: 'rid-1' });
    expect(e).toMatchObject({
      resource: '/orders/{id}/cancel',
      path: '/orders/o/1/cancel',
      httpMethod: 'POST',
      pathParameters: { id: 'o/1' },
      queryStringParameters: { limit: '5', tag: 'b', q: 'x y' },
      multiValueQueryStringParameters: { limit: ['5'], tag: ['a', 'b'], q: ['x y'] },
      body: '{"a":1}',
      isBase64Encoded: false,
      stageVariables: null,
    });
  });

  it('keeps header casing, the last value in headers and all values in multiValueHeaders', () => {
    const e = buildProxyEvent(req(), route);
    expect(e.headers).toEqual({ 'Content-Type': 'application/json', 'X-Trace': 'two', Authorization: 'Bearer t' });
    expect(e.multiValueHeaders['X-Trace']).toEqual(['one', 'two']);
  });

  it('fills requestContext with request id, stage, source ip and the authorizer context', () => {
    const e = buildProxyEvent(req(), route, { requestId: 'rid-2', authorizer: { userId: 'u1', roles: 'admin', principalId: 'u1' } });
    expect(e.requestContext).toMatchObject({
      requestId: 'rid-2',
      stage: 'local',
      httpMethod: 'POST',
      resourcePath: '/orders/{id}/cancel',
      identity: expect.objectContaining({ sourceIp: '10.0.0.7' }),
      authorizer: { userId: 'u1', roles: 'admin', principalId: 'u1' },
    });
  });

  it('uses null for absent query, path parameters and body', () => {
    const e = buildProxyEvent(req({ url: '/orders', body: Buffer.alloc(0) }), { resource: '/orders', pathParameters: {} });
    expect(e.queryStringParameters).toBeNull();
    expect(e.multiValueQueryStringParameters).toBeNull();
    expect(e.pathParameters).toBeNull();
    expect(e.body).toBeNull();
  });

  it('base64-encodes a binary body', () => {
    const e = buildProxyEvent(req({ headers: [['content-type', 'application/octet-stream']], body: Buffer.from([0, 255]) }), route);
    expect(e.isBase64Encoded).toBe(true);
    expect(e.body).toBe(Buffer.from([0, 255]).toString('base64'));
  });

  it('takes query keys and header names that are Object.prototype properties as ordinary own keys', () => {
    const e = buildProxyEvent(
      req({ url: '/orders?constructor=1&__proto__=2&__proto__=3&toString=4', headers: [['constructor', 'x'], ['__proto__', 'y'], ['hasOwnProperty', 'z']] }),
      { resource: '/orders', pathParameters: {} },
    );
    expect(e.queryStringParameters).toEqual({ constructor: '1', ['__proto__']: '3', toString: '4' });
    expect(e.multiValueQueryStringParameters).toEqual({ constructor: ['1'], ['__proto__']: ['2', '3'], toString: ['4'] });
    expect(e.headers).toEqual({ constructor: 'x', ['__proto__']: 'y', hasOwnProperty: 'z' });
    expect(e.multiValueHeaders).toEqual({ constructor: ['x'], ['__proto__']: ['y'], hasOwnProperty: ['z'] });
    // plain objects (as after Lambda's JSON round trip), the key did not replace their prototype
    for (const o of [e.queryStringParameters, e.multiValueQueryStringParameters, e.headers, e.multiValueHeaders]) expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(buildAuthorizerEvent(req({ headers: [['constructor', 'x']] }), route, 'rid').headers).toMatchObject({ constructor: 'x' });
  });

  it('builds a REQUEST authorizer event with the method ARN', () => {
    const e = buildAuthorizerEvent(req(), route, 'rid');
    expect(e.type).toBe('REQUEST');
    expect(e.methodArn).toBe('arn:aws:execute-api:us-east-1:000000000000:local/local/POST/orders/o%2F1/cancel');
    expect(e.headers).toMatchObject({ Authorization: 'Bearer t' });
  });
});

describe('authorizer policy evaluation', () => {
  const arn = (m: string, p: string) => methodArn(m, p);
  it('allows every route for an admin', () => {
    const p = policyFor('u1', ['customer', 'admin'], arn('GET', '/orders/1'));
    expect(policyAllows(p, arn('POST', '/products'))).toBe(true);
    expect(policyAllows(p, arn('PATCH', '/products/p1'))).toBe(true);
  });
  it('rejects admin routes for a customer with an explicit deny, allows the rest', () => {
    const p = policyFor('u1', ['customer'], arn('GET', '/orders/1'));
    expect(policyAllows(p, arn('GET', '/orders/1'))).toBe(true);
    expect(policyAllows(p, arn('POST', '/products'))).toBe(false);
    expect(policyAllows(p, arn('POST', '/inventory/sku-1/restock'))).toBe(false);
    expect(policyAllows(p, arn('GET', '/products/p1'))).toBe(true);
  });
  it('rejects when no statement allows', () => {
    expect(policyAllows({ principalId: 'x', policyDocument: { Version: '2012-10-17', Statement: [] } }, arn('GET', '/a'))).toBe(false);
  });
});
