import { extendZodWithOpenApi, OpenApiGeneratorV3, OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { OpenAPIObject, ReferenceObject, SchemaObject } from 'openapi3-ts/oas30';
import { z } from 'zod';
import { allRoutes, manifest as defaultManifest, type PlatformManifest, type RouteDef } from './manifest';

/**
 * The OpenAPI 3.0 document of the platform's HTTP API, built from the manifest routes' zod
 * schemas. Read by both deployers: the CDK app turns each route's request body schema into an
 * API Gateway request-validation model (see `requestBodyJsonSchema`), and the local runtime serves
 * the document at /openapi.json. No CDK imports here.
 *
 * Routes without schemas still appear (with their path parameters and a generic error response).
 */
extendZodWithOpenApi(z);

export type { OpenAPIObject } from 'openapi3-ts/oas30';

/** Name of the bearer-JWT security scheme protected routes refer to. */
export const BEARER_SCHEME = 'bearerJwt';

/** Standard error body produced by functions/shared/http.ts. */
const ErrorBody = z
  .object({
    error: z.string().openapi({ example: 'ValidationError' }),
    message: z.string(),
    field: z.string().optional(),
    details: z.unknown().optional(),
  })
  .openapi('Error');

/** `/orders/{id}/cancel` -> ['id'] */
export function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

/** A stable operation id: `POST /orders/{id}/cancel` -> `postOrdersIdCancel`. */
export function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => seg.replace(/[{}]/g, ''))
    .flatMap((seg) => seg.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method.toLowerCase() + words.join('');
}

function asObject(s: z.ZodType | undefined): z.ZodObject | undefined {
  if (!s) return undefined;
  if (!(s instanceof z.ZodObject)) {
    throw new Error(`route request params/query/headers must be z.object(...) schemas, got ${s.constructor.name}`);
  }
  return s;
}

function routeConfig(r: RouteDef & { handler: string; service: string }): RouteConfig {
  const method = r.method.toLowerCase() as RouteConfig['method'];
  const declaredParams = asObject(r.request?.params);
  const missing = pathParameterNames(r.path).filter((p) => !declaredParams || !(p in declaredParams.shape));
  let params = declaredParams;
  if (missing.length > 0) {
    const extra = z.object(Object.fromEntries(missing.map((p) => [p, z.string().min(1)])));
    params = declaredParams ? declaredParams.extend(extra.shape) : extra;
  }
  const responses: RouteConfig['responses'] = {};
  for (const [code, res] of Object.entries(r.responses ?? {})) {
    responses[code] = res.schema
      ? { description: res.description, content: { 'application/json': { schema: res.schema } } }
      : { description: res.description };
  }
  if (Object.keys(responses).length === 0) responses['200'] = { description: 'Success' };
  responses['400'] ??= { description: 'Bad request: the body names the invalid field', content: { 'application/json': { schema: ErrorBody } } };
  if (r.auth !== 'public') {
    responses['401'] ??= { description: 'Missing or invalid token', content: { 'application/json': { schema: ErrorBody } } };
    responses['403'] ??= { description: 'Not allowed', content: { 'application/json': { schema: ErrorBody } } };
  }
  responses['501'] ??= { description: 'Not implemented yet', content: { 'application/json': { schema: ErrorBody } } };
  return {
    method,
    path: r.path,
    operationId: operationId(r.method, r.path),
    summary: r.summary,
    tags: [r.service],
    ...(r.auth === 'public' ? {} : { security: [{ [BEARER_SCHEME]: [] }] }),
    'x-shop-handler': r.handler,
    'x-shop-auth': r.auth,
    request: {
      ...(params ? { params } : {}),
      ...(r.request?.query ? { query: asObject(r.request.query) } : {}),
      ...(r.request?.headers ? { headers: asObject(r.request.headers) } : {}),
      ...(r.request?.body ? { body: { required: true, content: { 'application/json': { schema: r.request.body } } } } : {}),
    },
    responses,
  } as RouteConfig;
}

/** Builds the OpenAPI 3.0 document of every manifest route. Pure; safe to call many times. */
export function buildOpenApiDocument(m: PlatformManifest = defaultManifest): OpenAPIObject {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'JWT from POST /sessions or POST /web3/verify; roles customer or admin',
  });
  registry.register('Error', ErrorBody);
  for (const r of allRoutes(m)) registry.registerPath(routeConfig(r));
  const doc = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Serverless Shop API',
      version: '1.0.0',
      description: 'Orders, inventory, catalog, users and web3 sign-in. Generated from the platform manifest.',
    },
    servers: [{ url: '/' }],
  });
  return doc as OpenAPIObject;
}

const OPENAPI_ONLY_KEYS = new Set(['nullable', 'example', 'examples', 'discriminator', 'readOnly', 'writeOnly', 'xml', 'externalDocs', 'deprecated']);

/**
 * Converts an OpenAPI 3.0 schema (with `#/components/schemas/...` refs) into a self-contained JSON
 * Schema draft-04 object, the dialect API Gateway REST models accept: refs inlined, `nullable`
 * turned into a `null` type, OpenAPI-only keywords dropped. Throws on a ref cycle or unknown ref.
 */
export function toJsonSchemaDraft4(schema: SchemaObject | ReferenceObject, doc: OpenAPIObject, seen: readonly string[] = []): Record<string, unknown> {
  if ('$ref' in schema && typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (seen.includes(name)) throw new Error(`schema '${name}' is recursive; API Gateway models need inlined schemas`);
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unknown schema ref '${schema.$ref}'`);
    return toJsonSchemaDraft4(target, doc, [...seen, name]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (OPENAPI_ONLY_KEYS.has(k) || k.startsWith('x-')) continue;
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, SchemaObject>).map(([p, s]) => [p, toJsonSchemaDraft4(s, doc, seen)]));
    } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && v && typeof v === 'object') {
      out[k] = toJsonSchemaDraft4(v as SchemaObject, doc, seen);
    } else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = (v as SchemaObject[]).map((s) => toJsonSchemaDraft4(s, doc, seen));
    } else {
      out[k] = v;
    }
  }
  if ((schema as SchemaObject).nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.anyOf || out.oneOf || out.allOf) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** The draft-04 JSON schema of a route's JSON request body, or undefined when it declares none. */
export function requestBodyJsonSchema(doc: OpenAPIObject, method: string, path: string): Record<string, unknown> | undefined {
  const op = doc.paths?.[path]?.[method.toLowerCase() as 'get'];
  const body = op?.requestBody;
  if (!body || '$ref' in body) return undefined;
  const schema = body.content?.['application/json']?.schema;
  if (!schema) return undefined;
  return { $schema: 'http://json-schema.org/draft-04/schema#', ...toJsonSchemaDraft4(schema, doc) };
}

/** Query-string and header parameters of a route with whether each is required (for API Gateway request validation). */
export function requestParameters(doc: OpenAPIObject, method: string, path: string): Array<{ in: 'query' | 'header' | 'path'; name: string; required: boolean }> {
  const op = doc.paths?.[path]?.[method.toLowerCase() as 'get'];
  const out: Array<{ in: 'query' | 'header' | 'path'; name: string; required: boolean }> = [];
  for (const p of op?.parameters ?? []) {
    if ('$ref' in p) continue;
    if (p.in === 'query' || p.in === 'header' || p.in === 'path') out.push({ in: p.in, name: p.name, required: !!p.required });
  }
  return out;
}
