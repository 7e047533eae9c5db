/**
 * Redis that accepts connections and never answers (a half-open socket after a failover): the shared
 * client gives up within its bounds instead of holding the caller until its Lambda times out, and the
 * authorizer, whose session check is bounded too, allows a session token on its signature. A real
 * ioredis client against a real TCP server that says nothing.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

const sockets: Socket[] = [];
let server: Server;

beforeAll(async () => {
  server = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.REDIS_URL = `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
  process.env.JWT_SECRET = 'unit-test-secret-0123456789';
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
});
afterAll(async () => {
  const { closeRedis } = await import('../../../functions/shared/adapters/redis');
  await closeRedis().catch(() => undefined);
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

it('a command to a Redis that never answers fails within the client bounds (jest would time it out at 5 s otherwise)', async () => {
  const { getRedis } = await import('../../../functions/shared/adapters/redis');
  const err = await (await getRedis()).get('session:x').then(() => undefined, (e: Error) => e);
  expect(err).toBeInstanceOf(Error);
}, 8000);

it('the authorizer allows a session token on its signature when the session store is silent', async () => {
  const { handler } = await import('../../../functions/platform/authorizer');
  const { signToken } = await import('../../../functions/shared/auth');
  const now = Math.floor(Date.now() / 1000);
  const token = await signToken({ userId: 'u-silent', roles: ['customer'], sid: 's-2' }, { expiresIn: now + 3600 });
  const event = { type: 'REQUEST', methodArn: 'arn:aws:execute-api:us-east-1:000000000000:local/local/GET/orders', headers: { Authorization: `Bearer ${token}` } } as unknown as APIGatewayRequestAuthorizerEvent;
  const res = await handler(event);
  expect(res.principalId).toBe('u-silent');
  expect(res.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
}, 8000);
