import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult } from 'aws-lambda';
import { stageConfigs } from '../../lib/config';
import { allHandlers, type PlatformManifest } from '../../lib/manifest';
import { buildAuthorizerEvent, buildProxyEvent, authorizerContext, headerValue, policyAllows, splitUrl, type IncomingRequest } from './apigw-event';
import type { HandlerRegistry } from './handlers';
import { log } from './log';
import { RouteTable } from './routes';

/**
 * The local API Gateway: one node:http server for every manifest route. Like a REST API with Lambda
 * proxy integrations and a REQUEST Lambda authorizer on 'user' and 'admin' routes:
 *  - unknown path 404, known path with another method 405 (JSON bodies, `Allow` header);
 *  - body over 10 MB 413;
 *  - protected route: no Authorization header -> 401; else the manifest's authorizer handler runs first
 *    (its decision cached per header value for 5 min, as deployed); it throwing 'Unauthorized' -> 401,
 *    a policy that does not allow the method ARN -> 403 (bodies as the deployed gateway responses);
 *    its context goes to requestContext.authorizer;
 *  - OPTIONS on a known path: the CORS preflight answer of the deployed API;
 *  - a handler that throws or returns a malformed result -> 502 {"message":"Internal server error"}, logged;
 *  - GET /openapi.json (lib/openapi.ts) and GET /health.
 */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export interface GatewayOptions {
  readonly manifest: PlatformManifest;
  readonly handlers: HandlerRegistry;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /**
   * Seconds an authorizer decision is cached per Authorization header value, as API Gateway does
   * (lib/constructs/shop-api.ts sets resultsCacheTtl 5 min). 0 disables. @default 300
   */
  readonly authorizerCacheTtlSeconds?: number;
}

export interface Gateway {
  readonly url: string;
  readonly server: http.Server;
  close(): Promise<void>;
}

/**
 * What the deployed API answers by itself (lib/constructs/shop-api.ts): CORS preflight on every
 * resource, and gateway responses (401, 403, 4xx, 5xx) as JSON with the CORS origin header.
 */
const ALLOW_ORIGIN = stageConfigs.dev.api.corsAllowOrigins[0] ?? '*';
const PREFLIGHT_HEADERS = {
  'access-control-allow-origin': ALLOW_ORIGIN,
  'access-control-allow-methods': 'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD',
  'access-control-allow-headers': 'Content-Type,Authorization,Idempotency-Key,X-Amz-Date,X-Api-Key',
  'access-control-max-age': '3600',
};
const jsonHeaders = { 'content-type': 'application/json', 'access-control-allow-origin': ALLOW_ORIGIN };
const UNAUTHORIZED_BODY = { error: 'UnauthorizedError', message: 'missing or invalid token' };
const DENIED_BODY = { error: 'ForbiddenError', message: 'User is not authorized to access this resource with an explicit deny' };

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...jsonHeaders, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}

function isProxyResult(r: unknown): r is APIGatewayProxyResult {
  if (!r || typeof r !== 'object') return false;
  const o = r as Record<string, unknown>;
  return typeof o.statusCode === 'number' && (o.body === undefined || o.body === null || typeof o.body === 'string');
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const table = RouteTable.fromManifest(opts.manifest);
  const authorizer = allHandlers(opts.manifest).find((h) => h.kind === 'authorizer');
  const cacheTtlMs = (opts.authorizerCacheTtlSeconds ?? 300) * 1000;
  const authCache = new Map<string, { policy: APIGatewayAuthorizerResult; until: number }>();
  let openapi: string | undefined;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const { path } = splitUrl(url);
    const requestId = randomUUID();
    res.setHeader('x-amzn-requestid', requestId);

    if (method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/openapi.json') {
      if (!openapi) {
        // Loaded lazily: zod-to-openapi is only needed when someone asks for the document.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { buildOpenApiDocument } = require('../../lib/openapi') as typeof import('../../lib/openapi');
        openapi = JSON.stringify(buildOpenApiDocument(opts.manifest));
      }
      res.writeHead(200, { ...jsonHeaders, 'content-length': Buffer.byteLength(openapi) });
      res.end(openapi);
      return;
    }

    const match = table.match(method, path);
    if (method === 'OPTIONS' && match.kind !== 'not-found') {
      req.resume();
      res.writeHead(204, PREFLIGHT_HEADERS);
      res.end();
      return;
    }
    if (match.kind === 'not-found') {
      req.resume();
      return send(res, 404, { message: `no route for ${method} ${path}` });
    }
    if (match.kind === 'method-not-allowed') {
      req.resume();
      return send(res, 405, { message: `method ${method} not allowed on ${path}`, allowed: match.allowed }, { allow: match.allowed.join(', ') });
    }

    const body = await readBody(req, MAX_REQUEST_BYTES);
    if (body === 'too-large') return send(res, 413, { message: 'Request Too Long' });

    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const headerPairs = pairs(req.rawHeaders);
    // API Gateway adds these (X-Forwarded-For: client, then its own hops).
    const has = (n: string) => headerPairs.some(([k]) => k.toLowerCase() === n);
    if (!has('x-forwarded-for')) headerPairs.push(['X-Forwarded-For', sourceIp]);
    if (!has('x-forwarded-proto')) headerPairs.push(['X-Forwarded-Proto', 'http']);
    if (!has('x-forwarded-port')) headerPairs.push(['X-Forwarded-Port', String(req.socket.localPort ?? '')]);
    const incoming: IncomingRequest = { method, url, headers: headerPairs, body, sourceIp };
    const route = { resource: match.route.path, pathParameters: match.pathParameters };

    let authContext: Record<string, unknown> | null = null;
    if (match.route.auth !== 'public') {
      if (!authorizer) {
        log.error('gateway: protected route but the manifest has no authorizer handler', { route: `${method} ${match.route.path}` });
        return send(res, 500, { message: null });
      }
      const authEvent = buildAuthorizerEvent(incoming, route, requestId);
      // Identity source: the Authorization header. Missing -> 401 without invoking the authorizer.
      // Read from the event, not the raw headers: with the header repeated, the cache key must be the
      // value the authorizer verifies (the last one), or a junk first value would cache a valid token's policy.
      const identity = headerValue(authEvent.headers ?? {}, 'authorization');
      if (!identity) return send(res, 401, UNAUTHORIZED_BODY);
      let policy: APIGatewayAuthorizerResult;
      const cached = cacheTtlMs > 0 ? authCache.get(identity) : undefined;
      try {
        if (cached && cached.until > Date.now()) policy = cached.policy;
        else {
          policy = await opts.handlers.invoke<APIGatewayAuthorizerResult>(authorizer.name, authEvent);
          if (cacheTtlMs > 0) {
            if (authCache.size >= 10000) authCache.delete(authCache.keys().next().value as string);
            authCache.set(identity, { policy, until: Date.now() + cacheTtlMs });
          }
        }
      } catch (err) {
        if ((err as Error).message === 'Unauthorized') return send(res, 401, UNAUTHORIZED_BODY);
        log.error('gateway: authorizer failed', { error: (err as Error).message, errorType: (err as Error).name });
        return send(res, 500, { message: null }, { 'x-amzn-errortype': 'AuthorizerConfigurationException' });
      }
      if (!policyAllows(policy, authEvent.methodArn)) {
        return send(res, 403, DENIED_BODY);
      }
      authContext = authorizerContext(policy);
    }

    const event = buildProxyEvent(incoming, route, { requestId, authorizer: authContext });
    let result: unknown;
    try {
      result = await opts.handlers.invoke(match.route.handler, event);
    } catch (err) {
      log.error('gateway: handler failed', { handler: match.route.handler, errorType: (err as Error).name, error: (err as Error).message });
      return send(res, 502, { message: 'Internal server error' });
    }
    if (!isProxyResult(result)) {
      log.error('gateway: malformed Lambda proxy response', { handler: match.route.handler });
      return send(res, 502, { message: 'Internal server error' });
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v.map(String);
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const out = result.body == null ? Buffer.alloc(0) : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
    headers['content-type'] ??= 'application/json'; // API Gateway's default for a proxy response without one
    headers['content-length'] = String(out.length);
    res.writeHead(result.statusCode, headers);
    res.end(out);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('gateway: internal failure', { error: (err as Error).message });
      if (!res.headersSent) send(res, 500, { message: null });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3000, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
