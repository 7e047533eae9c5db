/**
 * The authorizer with its session store (Redis) unreachable: a session token (with `sid`) is allowed
 * on its signature and expiry, not refused (every logged-in customer would be locked out while a
 * cache node is down). A real ioredis client against a port nothing listens on.
 */
process.env.JWT_SECRET = 'unit-test-secret-0123456789';
process.env.REDIS_URL = 'redis://127.0.0.1:1';
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';

import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { handler } from '../../../functions/platform/authorizer';
import { closeRedis } from '../../../functions/shared/adapters/redis';
import { signToken } from '../../../functions/shared/auth';

const methodArn = 'arn:aws:execute-api:us-east-1:000000000000:local/local/GET/orders';
const event = (token: string) => ({ type: 'REQUEST', methodArn, headers: { Authorization: `Bearer ${token}` } }) as unknown as APIGatewayRequestAuthorizerEvent;

afterAll(async () => {
  await closeRedis().catch(() => undefined);
});

it('allows a session token on its signature when Redis cannot answer', async () => {
  const now = Math.floor(Date.now() / 1000);
  const token = await signToken({ userId: 'u-down', roles: ['customer'], sid: 's-1' }, { expiresIn: now + 3600 });
  const res = await handler(event(token));
  expect(res.principalId).toBe('u-down');
  expect(res.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
}, 20000);
