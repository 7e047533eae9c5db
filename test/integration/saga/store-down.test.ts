/**
 * PostgreSQL down or restarting while orders come in: the order API answers 503 with Retry-After
 * (not a 500), nothing is half-accepted, and the same request retried with the same Idempotency-Key
 * once the store is back places exactly one order.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { createServer } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { endpoints } from '../../../local/engines/endpoints';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { closePool } from '../../../functions/shared/adapters/pg';
import { handler } from '../../../functions/order/handlers/api';
import { closeDb, db, migrate, newUser, seedSku } from './helpers';

jest.setTimeout(60000);
const realUrl = process.env.PG_URL ?? endpoints().pgUrl;
afterAll(async () => {
  process.env.PG_URL = realUrl;
  await closePool();
  await closeProducer(); // the accepted order was published right after its commit
  await closeDb();
});

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const post = (userId: string, key: string, body: unknown) =>
  handler({
    httpMethod: 'POST',
    resource: '/orders',
    path: '/orders',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { authorizer: { userId, roles: 'customer' } } as never,
  } as APIGatewayProxyEvent);

it('answers 503 with Retry-After while PostgreSQL is unreachable; the retry with the same key places one order', async () => {
  process.env.PG_URL = realUrl;
  await migrate();
  const s = await seedSku('storedown', 3);
  const user = newUser();
  const key = `store-down-${Date.now()}`;
  const order = { items: [{ sku: s, quantity: 1 }], paymentToken: '4242424242424242' };

  process.env.PG_URL = `postgres://shop:shop@127.0.0.1:${await closedPort()}/shop`; // "the store is down"
  await closePool();
  const down = await post(user, key, order);
  expect(down.statusCode).toBe(503);
  expect(down.headers).toMatchObject({ 'retry-after': '1' });
  // A refused connection does not say whose it was: no dependency named (the log has the address).
  expect(JSON.parse(down.body)).toEqual({ error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'a dependency of this service is unavailable or busy; retry, with the same Idempotency-Key where the route takes one' } });

  process.env.PG_URL = realUrl; // back
  await closePool();
  const up = await post(user, key, order);
  expect(up.statusCode).toBe(202);
  const again = await post(user, key, order);
  expect(again.statusCode).toBe(202);
  expect(JSON.parse(again.body).orderId).toBe(JSON.parse(up.body).orderId);
  const n = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE user_id = $1 AND idempotency_key = $2', [user, key]);
  expect(n.rows[0]!.n).toBe(1);
});
