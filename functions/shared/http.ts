import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import {
  ConflictError,
  DependencyUnavailableError,
  transientInfraKind,
  DomainError,
  ForbiddenError,
  NotFoundError,
  NotImplementedError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnprocessableError,
  ValidationError,
  type FieldIssue,
} from './errors';
import { logger } from './powertools';

/** Largest JSON body any route accepts; API Gateway's own limit is 10 MB. */
export const MAX_BODY_BYTES = 64 * 1024;

const JSON_HEADERS = {
  'content-type': 'application/json',
  'access-control-allow-origin': '*',
} as const;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || prefix || '(root)',
    message: i.message,
  }));
}

/** Parses the JSON body with a schema; throws ValidationError naming each bad field. */
export function parseBody<S extends z.ZodType>(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, schema: S): z.infer<S> {
  const raw = event.body == null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`body exceeds ${MAX_BODY_BYTES} bytes`, [{ path: 'body', message: `larger than ${MAX_BODY_BYTES} bytes` }]);
  }
  if (raw.trim() === '') throw new ValidationError('request body is required', [{ path: 'body', message: 'required' }]);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ValidationError('request body is not valid JSON', [{ path: 'body', message: 'invalid JSON' }]);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(`invalid request body: ${issues.map((i) => i.path).join(', ')}`, issues);
  }
  return parsed.data;
}

/** Parses query string parameters (single values) with a schema. */
export function parseQuery<S extends z.ZodType>(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>, schema: S): z.infer<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, 'query');
    throw new ValidationError(`invalid query: ${issues.map((i) => i.path).join(', ')}`, issues);
  }
  return parsed.data;
}

/** Parses path parameters with a schema. */
export function parsePath<S extends z.ZodType>(event: Pick<APIGatewayProxyEvent, 'pathParameters'>, schema: S): z.infer<S> {
  const parsed = schema.safeParse(event.pathParameters ?? {});
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, 'path');
    throw new ValidationError(`invalid path: ${issues.map((i) => i.path).join(', ')}`, issues);
  }
  return parsed.data;
}

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && v != null) return v;
  return undefined;
}

/** Caller identity as put in the request context by the JWT authorizer (or the local gateway). */
export interface Caller {
  readonly userId: string;
  readonly roles: readonly string[];
}
export function caller(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller | undefined {
  const a = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const userId = a?.['userId'] ?? a?.['principalId'];
  if (typeof userId !== 'string' || userId === '') return undefined;
  const roles = typeof a?.['roles'] === 'string' ? (a['roles'] as string).split(',').filter(Boolean) : [];
  return { userId, roles };
}
export function requireCaller(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Caller {
  const c = caller(event);
  if (!c) throw new UnauthorizedError();
  return c;
}

/** The one mapper from named errors to HTTP responses. Unknown errors are 500 and logged. */
export function toHttpResponse(err: unknown): APIGatewayProxyResult {
  const body = (e: DomainError, extra: Record<string, unknown> = {}) => ({ error: { code: e.code, message: e.message, ...extra } });
  if (err instanceof ValidationError) return json(400, body(err, { issues: err.issues }));
  if (err instanceof UnauthorizedError) return json(401, body(err));
  if (err instanceof ForbiddenError) return json(403, body(err));
  if (err instanceof NotFoundError) return json(404, body(err));
  if (err instanceof ConflictError) return json(409, body(err));
  if (err instanceof PayloadTooLargeError) return json(413, body(err, { issues: err.issues }));
  if (err instanceof UnprocessableError) return json(422, body(err, { issues: err.issues }));
  if (err instanceof RateLimitedError) return json(429, body(err), { 'retry-after': String(err.retryAfterSeconds) });
  if (err instanceof NotImplementedError) return json(501, body(err));
  if (err instanceof DependencyUnavailableError) return json(503, body(err, { dependency: err.dependency }), { 'retry-after': '1' });
  const infra = transientInfraKind(err);
  if (infra) {
    // A store down or restarting, a failover, a lost connection, a deadlock: almost always nothing
    // was committed (a connection lost during COMMIT leaves it unknown), and a retry with the same
    // Idempotency-Key is safe either way.
    // Named only when the error says so (a PostgreSQL error); a refused or reset socket does not say
    // whose it was, and internal addresses are not for clients (they are logged).
    const e = err as Error & { code?: string };
    const database = infra === 'database';
    logger.warn('dependency unavailable', { code: e.code, error: e.message });
    const what = database ? 'the database is' : 'a dependency of this service is';
    return json(503, { error: { code: 'DEPENDENCY_UNAVAILABLE', message: `${what} unavailable or busy; retry, with the same Idempotency-Key where the route takes one`, ...(database ? { dependency: 'database' } : {}) } }, { 'retry-after': '1' });
  }
  logger.error('unhandled error', err as Error);
  return json(500, { error: { code: 'INTERNAL', message: 'internal error' } });
}

export type HttpHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** Wraps a thin HTTP adapter: any thrown named error becomes its status code. */
export function httpHandler(fn: HttpHandler): HttpHandler {
  return async (event) => {
    try {
      return await fn(event);
    } catch (err) {
      return toHttpResponse(err);
    }
  };
}

/** For manifest entries whose logic is not built yet: a clear 501 instead of a silent stub. */
export function notImplemented(what: string): HttpHandler {
  return httpHandler(async () => {
    throw new NotImplementedError(`${what} is not implemented yet`);
  });
}
