/**
 * The user service on the real engines: HTTP through the local gateway (real API Gateway proxy
 * events, the JWT authorizer), PostgreSQL (users + outbox), Redis (sessions), Kafka (user-events).
 * Register, duplicates (race-safe, case-insensitive), bad bodies, log in, the session in Redis,
 * GET /users/me, the UserRegistered event, log out and the authorizer refusing the ended session.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.BCRYPT_COST = '4'; // the tests' cost (STAGE local); deployed stages need >= 10

import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { decodeJwt } from 'jose';
import { startPlatform, createTopics, type Platform } from '../../../local/runtime';
import { endpoints } from '../../../local/engines/endpoints';
import { manifest } from '../../../lib/manifest';
import { EnvelopeSchema } from '../../../functions/shared/events';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { closeRedis } from '../../../functions/shared/adapters/redis';
import { RUN, closeDb, collectTopic, db, migrate, newUser, tokenFor, until, type TopicCollector } from '../saga/helpers';

jest.setTimeout(60000);

let p: Platform;
let redis: Redis;
let kafka: TopicCollector;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  kafka = await collectTopic(['user-events']);
  redis = new Redis(endpoints().redisUrl);
  p = await startPlatform({ components: ['gateway', 'aws-endpoint'], port: 0, awsPort: 0, executionStore: 'memory' });
});
afterAll(async () => {
  await kafka?.stop();
  await closeProducer();
  await closeRedis();
  redis?.disconnect();
  await p?.stop();
  await closeDb();
});

let n = 0;
const email = (tag: string) => `u-${tag}-${RUN}-${++n}@example.com`.toLowerCase();
const PASSWORD = 'correct horse battery';

interface Res {
  status: number;
  body: any;
  text: string;
}
async function call(method: string, path: string, opts: { body?: unknown; authorization?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.authorization) headers.authorization = opts.authorization;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await fetch(`${p.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}
const register = (body: unknown) => call('POST', '/users', { body });
const login = (body: unknown) => call('POST', '/sessions', { body });
async function registered(tag: string, extra: Record<string, unknown> = {}): Promise<{ userId: string; email: string }> {
  const e = email(tag);
  const r = await register({ email: e, password: PASSWORD, ...extra });
  expect(r.status).toBe(201);
  return { userId: r.body.userId, email: e };
}
async function loggedIn(e: string): Promise<{ token: string; userId: string; expiresAt: string }> {
  const r = await login({ email: e, password: PASSWORD });
  expect(r.status).toBe(200);
  return r.body;
}
const paths = (r: Res): string[] => (r.body?.error?.issues ?? []).map((i: { path: string }) => i.path);

describe('POST /users', () => {
  it('registers a customer: 201 {userId, email, roles}, the email stored trimmed and lower-cased, no password or hash answered', async () => {
    const e = email('reg');
    const r = await register({ email: `  ${e.toUpperCase()} `, password: PASSWORD, name: 'Ada' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ userId: expect.stringMatching(/^[0-9a-f-]{36}$/), email: e, roles: ['customer'] });
    expect(r.text).not.toContain(PASSWORD);
    expect(r.text).not.toMatch(/\$2[aby]\$/);
    const row = (await db().query('SELECT email, name, roles, password_hash FROM users WHERE id = $1', [r.body.userId])).rows[0];
    expect(row).toEqual({ email: e, name: 'Ada', roles: ['customer'], password_hash: expect.stringMatching(/^\$2[aby]\$04\$/) });
  });

  it('ignores roles sent by the client: still a customer', async () => {
    const r = await register({ email: email('roles'), password: PASSWORD, roles: ['admin'] });
    expect(r.status).toBe(201);
    expect(r.body.roles).toEqual(['customer']);
    expect((await db().query('SELECT roles FROM users WHERE id = $1', [r.body.userId])).rows[0].roles).toEqual(['customer']);
  });

  it('answers 409 EMAIL_TAKEN naming email for a taken email, however it is cased or padded, and concurrently', async () => {
    const { email: e } = await registered('dup');
    for (const again of [e, e.toUpperCase(), `  ${e.replace(/^u/, 'U')}  `]) {
      const r = await register({ email: again, password: PASSWORD });
      expect([again, r.status, r.body]).toEqual([again, 409, { error: { code: 'EMAIL_TAKEN', message: expect.stringMatching(/email/), issues: [{ path: 'email', message: expect.any(String) }] } }]);
    }
    // Race: five at once, one account (the unique constraint decides, not a read first).
    const e2 = email('race');
    const all = await Promise.all(Array.from({ length: 5 }, () => register({ email: e2, password: PASSWORD })));
    expect(all.map((x) => x.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect((await db().query('SELECT count(*)::int AS n FROM users WHERE email = $1', [e2])).rows[0].n).toBe(1);
    expect((await db().query('SELECT count(*)::int AS n FROM users WHERE email = $1', [e])).rows[0].n).toBe(1);
  });

  it.each([
    ['no body', undefined, ['body']],
    ['not JSON', '{"email":', ['body']],
    ['missing fields', {}, ['email', 'password']],
    ['missing password', { email: 'a@example.com' }, ['password']],
    ['a bad email', { email: 'not-an-email', password: PASSWORD }, ['email']],
    ['a short password (11)', { email: 'a@example.com', password: 'x'.repeat(11) }, ['password']],
    ['a long password (129)', { email: 'a@example.com', password: 'x'.repeat(129) }, ['password']],
    ['a long name (101)', { email: 'a@example.com', password: PASSWORD, name: 'n'.repeat(101) }, ['name']],
    ['wrong types', { email: 42, password: ['x'], name: true }, ['email', 'password', 'name']],
  ])('answers 400 naming the field for %s', async (_what, body, fields) => {
    const r = await call('POST', '/users', { body });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect([...new Set(paths(r))].sort()).toEqual([...fields].sort());
  });

  it('publishes UserRegistered {userId, email} on user-events, keyed by userId, in the shared envelope', async () => {
    const { userId, email: e } = await registered('event');
    const m = await until('UserRegistered on user-events', () => kafka.messages.find((x) => x.key === userId), 20000);
    expect(m.topic).toBe('user-events');
    expect(EnvelopeSchema.parse(m.value)).toEqual({ id: expect.any(String), type: 'UserRegistered', source: 'shop.user', time: expect.any(String), version: 1, data: { userId, email: e } });
    // Sent right after the commit (not left to the relay): its outbox row is gone.
    await until('outbox row deleted', async () => ((await db().query('SELECT 1 FROM outbox WHERE message_key = $1', [userId])).rowCount === 0 ? true : undefined), 5000);
  });
});

describe('POST /sessions, GET /users/me', () => {
  it('logs in: a 24 h JWT with sub, roles and sid, and the session in Redis for 24 h', async () => {
    const { userId, email: e } = await registered('login', { name: 'Grace' });
    const before = Date.now();
    const r = await login({ email: ` ${e.toUpperCase()}`, password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String), userId });
    const claims = decodeJwt(r.body.token);
    expect(claims).toMatchObject({ sub: userId, roles: ['customer'], sid: expect.any(String), iss: 'shop', aud: 'shop-api' });
    expect(claims.exp! - claims.iat!).toBe(86400);
    expect(Date.parse(r.body.expiresAt)).toBe(claims.exp! * 1000);
    expect(Date.parse(r.body.expiresAt) - before).toBeGreaterThan(86390_000);
    const key = `session:${claims.sid as string}`;
    expect(await redis.get(key)).toBe(userId);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThanOrEqual(86000);
    expect(ttl).toBeLessThanOrEqual(86400);

    const auth = `Bearer ${r.body.token}`;
    const meRes = await call('GET', '/users/me', { authorization: auth });
    expect(meRes.status).toBe(200);
    expect(meRes.body).toEqual({ userId, email: e, roles: ['customer'], createdAt: expect.any(String), name: 'Grace' });
    expect(meRes.text).not.toMatch(/password|\$2[aby]\$/);
    // An existing protected route accepts the session token too.
    const orders = await call('GET', '/orders', { authorization: auth });
    expect(orders.status).toBe(200);
  });

  it('answers the same 401 for a wrong password and an unknown email', async () => {
    const { email: e } = await registered('wrong');
    const wrong = await login({ email: e, password: 'not the password!' });
    const unknown = await login({ email: email('nobody'), password: PASSWORD });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'invalid email or password' } });
    expect(unknown.text).toBe(wrong.text);
  });

  it('answers 400 naming the field for a bad log-in body', async () => {
    const r = await login({ email: 'x', password: 5 });
    expect(r.status).toBe(400);
    expect(paths(r).sort()).toEqual(['email', 'password']);
  });

  it('GET /users/me answers 404 for a token whose user has no account (a dev token), 401 without a token', async () => {
    for (const userId of [newUser(), randomUUID()]) {
      const r = await call('GET', '/users/me', { authorization: `Bearer ${await tokenFor(userId)}` });
      expect([userId, r.status, r.body?.error?.code]).toEqual([userId, 404, 'NOT_FOUND']);
    }
    expect((await call('GET', '/users/me')).status).toBe(401);
  });
});

describe('DELETE /sessions/current', () => {
  it('ends the session: the key is gone and the token is refused (where the gateway has not cached it); other sessions live on', async () => {
    const { userId, email: e } = await registered('logout');
    const a = await loggedIn(e);
    const b = await loggedIn(e);
    const sidA = decodeJwt(a.token).sid as string;
    const cachedHeader = `Bearer ${a.token}`;
    expect((await call('GET', '/users/me', { authorization: cachedHeader })).status).toBe(200);

    const out = await call('DELETE', '/sessions/current', { authorization: cachedHeader });
    expect(out.status).toBe(204);
    expect(await redis.exists(`session:${sidA}`)).toBe(0);

    // The gateway caches the authorizer's decision per Authorization header value for 5 minutes,
    // as API Gateway does; the same token under a header value not seen yet runs the authorizer.
    const fresh = await call('GET', '/users/me', { authorization: `bearer ${a.token}` });
    expect(fresh.status).toBe(401);
    expect((await call('GET', '/orders', { authorization: `BEARER ${a.token}` })).status).toBe(401);
    // Documented limit: the header value used before the logout is still let through from the cache.
    expect((await call('GET', '/users/me', { authorization: cachedHeader })).status).toBe(200);

    // The other session of the same user is untouched.
    const other = await call('GET', '/users/me', { authorization: `Bearer ${b.token}` });
    expect([other.status, other.body.userId]).toEqual([200, userId]);
  });

  it('refuses a session token whose Redis key expired or was removed, and keeps accepting tokens without a sid', async () => {
    const { email: e } = await registered('expired');
    const s = await loggedIn(e);
    await redis.del(`session:${decodeJwt(s.token).sid as string}`);
    expect((await call('GET', '/users/me', { authorization: `Bearer ${s.token}` })).status).toBe(401);
    // A dev token (no sid) never touches Redis and works as before.
    const dev = await call('GET', '/orders', { authorization: `Bearer ${await tokenFor(newUser())}` });
    expect(dev.status).toBe(200);
    // Logging out with a dev token has no session to end: 204.
    expect((await call('DELETE', '/sessions/current', { authorization: `Bearer ${await tokenFor(newUser())}` })).status).toBe(204);
  });
});
