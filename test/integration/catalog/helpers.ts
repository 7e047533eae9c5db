import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { closeMongo, getMongoDb } from '../../../functions/shared/adapters/mongo';
import { closeOpenSearch, getOpenSearch } from '../../../functions/shared/adapters/opensearch';
import { closeRedis, getRedis } from '../../../functions/shared/adapters/redis';
import { handler as api } from '../../../functions/catalog/handlers/api';
import { config, searchIndex } from '../../../functions/catalog/wiring';
import type { ProductState } from '../../../functions/catalog/domain/product';

/** Builds an API Gateway (REST, proxy) event for the catalog API and calls the handler. */
export async function call(
  method: string,
  path: string,
  opts: { body?: unknown; query?: Record<string, string>; resource?: string; pathParameters?: Record<string, string>; roles?: string[] } = {},
): Promise<{ status: number; body: any; raw: APIGatewayProxyResult }> {
  const idMatch = /^\/products\/([^/]+)/.exec(path);
  const resource = opts.resource ?? (idMatch ? path.replace(idMatch[1]!, '{id}') : path);
  const event = {
    httpMethod: method,
    path,
    resource,
    pathParameters: opts.pathParameters ?? (idMatch ? { id: decodeURIComponent(idMatch[1]!) } : null),
    queryStringParameters: opts.query ?? null,
    multiValueQueryStringParameters: null,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    body: opts.body === undefined ? null : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: { authorizer: opts.roles ? { userId: 'u-admin', roles: opts.roles.join(',') } : null } as never,
  } as unknown as APIGatewayProxyEvent;
  const raw = await api(event);
  return { status: raw.statusCode, body: raw.body ? JSON.parse(raw.body) : undefined, raw };
}

export async function createProduct(p: { productId?: string; name: string; description?: string; category: string; price: number; popularity?: number; inStock?: boolean }) {
  const r = await call('POST', '/products', { body: p });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { productId: string; version: number };
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** All documents of the alias (or an index), by id, as plain states. */
export async function indexContents(index = config.CATALOG_INDEX_ALIAS): Promise<Map<string, ProductState>> {
  const os = getOpenSearch();
  await os.indices.refresh({ index });
  const r = await os.search({ index, body: { query: { match_all: {} }, size: 10_000, sort: [{ productId: 'asc' }] } } as never);
  const hits = (r.body as any).hits.hits as Array<{ _id: string; _source: ProductState; _version?: number }>;
  return new Map(hits.map((h) => [h._id, h._source]));
}

export async function refresh(): Promise<void> {
  await (await searchIndex()).admin.refresh();
}

/** Drops what this test file created and closes the clients. */
export async function cleanup(): Promise<void> {
  const os = getOpenSearch();
  await os.indices.delete({ index: `${config.CATALOG_INDEX_ALIAS}-*` }).catch(() => undefined);
  await (await getMongoDb(config.CATALOG_DB)).dropDatabase().catch(() => undefined);
  const redis = await getRedis();
  const keys = await redis.keys(`${config.CATALOG_CACHE_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all([closeMongo(), closeRedis(), closeOpenSearch(), closeProducer()]);
}

import { toEnvelope } from '../../../functions/catalog/adapters/kafka-publisher';
import { handler as projector } from '../../../functions/catalog/handlers/projector';
import { eventStore } from '../../../functions/catalog/wiring';
import type { RelayItem } from '../../../functions/catalog/ports';

type EventItem = Extract<RelayItem, { kind: 'event' }>;

/** An MSK event (as the event source mapping sends) carrying the given stored events. */
export function mskEvent(items: readonly EventItem[], extra: Array<{ value: string | null }> = []) {
  const topic = config.CATALOG_TOPIC;
  const recs = items.map((i, n) => ({
    topic,
    partition: 0,
    offset: n,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: Buffer.from(i.aggregateId).toString('base64'),
    value: Buffer.from(JSON.stringify(toEnvelope(i))).toString('base64'),
    headers: [],
  }));
  const bad = extra.map((e, n) => ({ topic, partition: 1, offset: n, timestamp: Date.now(), timestampType: 'CREATE_TIME', value: e.value, headers: [] }));
  return { eventSource: 'aws:kafka', eventSourceArn: 'arn:local', bootstrapServers: '', records: { [`${topic}-0`]: recs, ...(bad.length ? { [`${topic}-1`]: bad } : {}) } };
}

/** Every stored event (not gap markers) in seq order. */
export async function storedEvents(): Promise<EventItem[]> {
  const items = await (await eventStore()).readAfter(0, 100_000);
  return items.filter((i): i is EventItem => i.kind === 'event');
}

/** Projects every stored event through the projector handler (as the Kafka consumer would). */
export async function projectAll(): Promise<void> {
  await projector(mskEvent(await storedEvents()));
  await refresh();
}
