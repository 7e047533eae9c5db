import { RUN_ID } from './env';
import { manifest } from '../../../lib/manifest';
import { catalogService } from '../../../lib/manifest/services/catalog';
import { platformService } from '../../../lib/manifest/services/others';
import { signToken } from '../../../functions/shared/auth';
import { startPlatform, type Platform } from '../../../local/runtime';

/**
 * The catalog through the local runtime (the same manifest entries CDK deploys): HTTP gateway with
 * the JWT authorizer, the relay on a schedule, the projector as a Kafka consumer group.
 * Commands here need a real admin token: the dev flag is off.
 */
process.env.CATALOG_ALLOW_UNAUTHENTICATED_ADMIN = 'false';

let p: Platform;
let admin: string;
let customer: string;

beforeAll(async () => {
  p = await startPlatform({
    port: 0,
    components: ['gateway', 'consumers', 'schedules'],
    manifest: { ...manifest, services: [catalogService, { ...platformService, handlers: platformService.handlers.filter((h) => h.kind === 'authorizer') }], stateMachines: [] },
    scheduleIntervalMs: 250,
    consumer: { groupIdSuffix: `-it-${RUN_ID}`, fromBeginning: true },
  });
  admin = await signToken({ userId: 'admin-1', roles: ['admin'] });
  customer = await signToken({ userId: 'cust-1', roles: ['customer'] });
}, 90_000);

afterAll(async () => {
  await p?.stop();
  const { getMongoDb, closeMongo } = await import('../../../functions/shared/adapters/mongo');
  const { getOpenSearch, closeOpenSearch } = await import('../../../functions/shared/adapters/opensearch');
  await getOpenSearch().indices.delete({ index: `${process.env.CATALOG_INDEX_ALIAS}-*` }).catch(() => undefined);
  await (await getMongoDb(process.env.CATALOG_DB)).dropDatabase().catch(() => undefined);
  await Promise.all([closeMongo(), closeOpenSearch()]);
}, 60_000);

async function http(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('catalog on the local runtime', () => {
  it('rejects a command without a token with 401 and from a customer with 403', async () => {
    const body = { name: 'Gateway gnome', category: 'garden', price: 14 };
    expect((await http('POST', '/products', body)).status).toBe(401);
    expect((await http('POST', '/products', body, customer)).status).toBe(403);
  });

  it('creates with an admin token, finds it through search, and loses it when retired', async () => {
    const created = await http('POST', '/products', { name: 'Gateway gnome', description: 'Garden statue', category: 'garden', price: 14 }, admin);
    expect(created.status).toBe(201);
    const id = created.body.productId as string;
    await until(async () => {
      const r = await http('GET', '/search?q=gnome&category=garden');
      return r.body.items?.some((i: { productId: string }) => i.productId === id) ? true : undefined;
    }, 'the product in search');
    const one = await http('GET', `/products/${id}`);
    expect(one.body).toMatchObject({ productId: id, price: 14, version: 1 });

    const stale = await Promise.all([
      http('POST', `/products/${id}/price`, { expectedVersion: 1, price: 15 }, admin),
      http('POST', `/products/${id}/price`, { expectedVersion: 1, price: 16 }, admin),
    ]);
    expect(stale.map((r) => r.status).sort()).toEqual([200, 409]);

    expect((await http('POST', `/products/${id}/retire`, { expectedVersion: 2 }, admin)).status).toBe(200);
    await until(async () => ((await http('GET', `/products/${id}`)).status === 404 ? true : undefined), 'the retired product to be gone');
    expect((await http('GET', '/search?q=gnome&category=garden')).body.total).toBe(0);
  }, 60_000);

  it('answers bad search parameters with 400 through the gateway', async () => {
    const r = await http('GET', '/search?minPrice=9&maxPrice=1');
    expect(r.status).toBe(400);
    expect(r.body.error.issues[0].path).toBe('query.minPrice');
  });
});
