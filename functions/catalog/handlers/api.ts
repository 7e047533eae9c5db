import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ForbiddenError, NotFoundError } from '../../shared/errors';
import { caller, httpHandler, json, parseBody, parsePath, parseQuery, requireCaller } from '../../shared/http';
import { asDependencyError } from '../adapters/dependency-errors';
import { flushMetrics } from '../metrics';
import {
  AdjustPopularityBody,
  ChangePriceBody,
  CreateProductBody,
  ListProductsQuery,
  ProductIdParams,
  RetireBody,
  SearchQuery,
  UpdateDetailsBody,
} from '../schemas';
import { adjustPopularity, changePrice, createProduct, retireProduct, updateDetails } from '../usecases/commands';
import { getProduct, listProducts, searchProducts } from '../usecases/queries';
import { catalogCache, config, eventStore, searchIndex } from '../wiring';

/**
 * The catalog HTTP adapter: parse (zod) -> one use case -> map the result. Commands are admin-only
 * (role from the authorizer's request context); CATALOG_ALLOW_UNAUTHENTICATED_ADMIN=true lets a
 * caller without credentials through, for local development and tests only.
 */
function requireAdmin(event: APIGatewayProxyEvent): void {
  if (config.CATALOG_ALLOW_UNAUTHENTICATED_ADMIN && !caller(event)) return;
  const c = requireCaller(event);
  if (!c.roles.includes('admin')) throw new ForbiddenError('catalog commands need the admin role');
}

type Route = (event: APIGatewayProxyEvent) => Promise<ReturnType<typeof json>>;

const commandDeps = async () => ({ store: await eventStore() });
const queryDeps = async () => ({ index: (await searchIndex()).index, cache: await catalogCache() });
const id = (event: APIGatewayProxyEvent) => parsePath(event, ProductIdParams).id;

const routes: Record<string, Route> = {
  'POST /products': async (e) => {
    requireAdmin(e);
    return json(201, await createProduct(await commandDeps(), parseBody(e, CreateProductBody)));
  },
  'PATCH /products/{id}': async (e) => {
    requireAdmin(e);
    return json(200, await updateDetails(await commandDeps(), id(e), parseBody(e, UpdateDetailsBody)));
  },
  'POST /products/{id}/price': async (e) => {
    requireAdmin(e);
    return json(200, await changePrice(await commandDeps(), id(e), parseBody(e, ChangePriceBody)));
  },
  'POST /products/{id}/popularity': async (e) => {
    requireAdmin(e);
    return json(200, await adjustPopularity(await commandDeps(), id(e), parseBody(e, AdjustPopularityBody)));
  },
  'POST /products/{id}/retire': async (e) => {
    requireAdmin(e);
    return json(200, await retireProduct(await commandDeps(), id(e), parseBody(e, RetireBody)));
  },
  'GET /products/{id}': async (e) => json(200, await getProduct(await queryDeps(), id(e))),
  'GET /products': async (e) => json(200, await listProducts(await queryDeps(), parseQuery(e, ListProductsQuery))),
  'GET /search': async (e) => json(200, await searchProducts(await queryDeps(), parseQuery(e, SearchQuery))),
};

const patterns = Object.keys(routes).map((k) => {
  const [method, path] = k.split(' ') as [string, string];
  return { key: k, method, re: new RegExp(`^${path.replace(/\{[^/]+\}/g, '[^/]+')}/?$`) };
});

/** API Gateway gives `resource` (the route template); fall back to matching the path. */
export function routeKey(event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'resource' | 'path'>): string | undefined {
  const direct = `${event.httpMethod} ${event.resource}`;
  if (routes[direct]) return direct;
  return patterns.find((p) => p.method === event.httpMethod && p.re.test(event.path ?? ''))?.key;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // left as is: the id schema rejects it with a 400
  }
}

export const handler = httpHandler(async (event) => {
  try {
    const key = routeKey(event);
    const route = key ? routes[key] : undefined;
    if (!route) throw new NotFoundError(`no route ${event.httpMethod} ${event.path}`);
    const seg = (event.path ?? '').split('/')[2];
    const withParams = key!.includes('{id}') && !event.pathParameters?.id && seg ? { ...event, pathParameters: { id: safeDecode(seg) } } : event;
    return await route(withParams);
  } catch (err) {
    throw asDependencyError(err);
  } finally {
    flushMetrics();
  }
});
