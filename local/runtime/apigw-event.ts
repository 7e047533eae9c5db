import { randomUUID } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT, region } from './env';
import { safeDecode } from './routes';

/**
 * Builds the events API Gateway (REST API, Lambda proxy integration, "v1") sends, from a plain
 * description of the HTTP request, and evaluates the IAM policy a Lambda authorizer returns.
 */
export const LOCAL_API_ID = 'local';
export const LOCAL_STAGE = 'local';

export interface IncomingRequest {
  readonly method: string;
  /** Raw request target: path plus optional query string, e.g. /orders/1?limit=5 */
  readonly url: string;
  /** Header name/value pairs in arrival order with the client's casing (Node's rawHeaders, paired). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface RouteInfo {
  /** Resource template, e.g. /orders/{id} */
  readonly resource: string;
  readonly pathParameters: Record<string, string>;
}

export function splitUrl(url: string): { path: string; query: string } {
  const i = url.indexOf('?');
  return i < 0 ? { path: url, query: '' } : { path: url.slice(0, i), query: url.slice(i + 1) };
}

export function parseQuery(query: string): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  if (!query) return { single: null, multi: null };
  const multi = new Map<string, string[]>();
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = safeDecode((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const v = eq < 0 ? '' : safeDecode(part.slice(eq + 1).replace(/\+/g, ' '));
    append(multi, k, v);
  }
  if (multi.size === 0) return { single: null, multi: null };
  return { single: lastValues(multi), multi: Object.fromEntries(multi) };
}

export function groupHeaders(pairs: ReadonlyArray<readonly [string, string]>): { single: Record<string, string>; multi: Record<string, string[]> } {
  const multi = new Map<string, string[]>();
  const casing = new Map<string, string>();
  for (const [name, value] of pairs) {
    const key = casing.get(name.toLowerCase()) ?? name;
    casing.set(name.toLowerCase(), key);
    append(multi, key, value);
  }
  return { single: lastValues(multi), multi: Object.fromEntries(multi) };
}

/*
 * Query keys and header names are the client's: grouped in a Map, not in a {} where `constructor` or
 * `__proto__` would hit Object.prototype (a TypeError, or a silently lost key). Object.fromEntries
 * then makes every name an own property of a plain object, `__proto__` included, as the JSON event
 * Lambda parses has it.
 */
function append(multi: Map<string, string[]>, key: string, value: string): void {
  const values = multi.get(key);
  if (values) values.push(value);
  else multi.set(key, [value]);
}

function lastValues(multi: Map<string, string[]>): Record<string, string> {
  return Object.fromEntries(Array.from(multi, ([k, v]) => [k, v[v.length - 1] as string]));
}

export function methodArn(method: string, path: string): string {
  return `arn:aws:execute-api:${region()}:${LOCAL_ACCOUNT}:${LOCAL_API_ID}/${LOCAL_STAGE}/${method}/${path.replace(/^\//, '')}`;
}

function requestContext(req: IncomingRequest, route: RouteInfo, requestId: string, path: string, authorizer: Record<string, unknown> | null, userAgent: string | null) {
  const now = new Date();
  return {
    accountId: LOCAL_ACCOUNT,
    apiId: LOCAL_API_ID,
    authorizer,
    domainName: 'localhost',
    domainPrefix: 'localhost',
    extendedRequestId: requestId,
    httpMethod: req.method,
    identity: {
      accessKey: null,
      accountId: null,
      apiKey: null,
      apiKeyId: null,
      caller: null,
      clientCert: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: req.sourceIp,
      user: null,
      userAgent,
      userArn: null,
    },
    path: `/${LOCAL_STAGE}${path}`,
    protocol: 'HTTP/1.1',
    requestId,
    requestTime: now.toUTCString(),
    requestTimeEpoch: now.getTime(),
    resourceId: LOCAL_API_ID,
    resourcePath: route.resource,
    stage: LOCAL_STAGE,
  };
}

/** The REQUEST authorizer event API Gateway sends before invoking a protected route. */
export function buildAuthorizerEvent(req: IncomingRequest, route: RouteInfo, requestId: string): APIGatewayRequestAuthorizerEvent {
  const { path } = splitUrl(req.url);
  return { type: 'REQUEST', methodArn: methodArn(req.method, path), ...requestFields(req, route, requestId, path, null).fields } as unknown as APIGatewayRequestAuthorizerEvent;
}

/** The request fields the proxy event and the REQUEST authorizer event share. */
function requestFields(req: IncomingRequest, route: RouteInfo, requestId: string, path: string, authorizer: Record<string, unknown> | null) {
  const h = groupHeaders(req.headers);
  const q = parseQuery(splitUrl(req.url).query);
  return {
    headers: h.single,
    fields: {
      resource: route.resource,
      path,
      httpMethod: req.method,
      headers: h.single,
      multiValueHeaders: h.multi,
      queryStringParameters: q.single,
      multiValueQueryStringParameters: q.multi,
      pathParameters: Object.keys(route.pathParameters).length ? route.pathParameters : null,
      stageVariables: null,
      requestContext: requestContext(req, route, requestId, path, authorizer, headerValue(h.single, 'user-agent')),
    },
  };
}

/** The value of a header of an event (`name` lower case): the last one sent, whatever its casing. */
export function headerValue(headers: Readonly<Record<string, string | undefined>>, name: string): string | null {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v ?? null;
  return null;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|.*\+json|.*\+xml|javascript))/i;

/**
 * The Lambda proxy event. Bodies are passed as UTF-8 text (isBase64Encoded false) like a REST API
 * without binary media types; a non-text content type is passed base64 encoded.
 */
export function buildProxyEvent(
  req: IncomingRequest,
  route: RouteInfo,
  opts: { requestId?: string; authorizer?: Record<string, unknown> | null } = {},
): APIGatewayProxyEvent {
  const requestId = opts.requestId ?? randomUUID();
  const path = safeDecode(splitUrl(req.url).path);
  const { headers, fields } = requestFields(req, route, requestId, path, opts.authorizer ?? null);
  const contentType = headerValue(headers, 'content-type') ?? '';
  const binary = req.body.length > 0 && contentType !== '' && !TEXT_TYPES.test(contentType);
  return {
    ...fields,
    body: req.body.length === 0 ? null : binary ? req.body.toString('base64') : req.body.toString('utf8'),
    isBase64Encoded: binary,
  } as APIGatewayProxyEvent;
}

const resourceRegexes = new Map<string, RegExp>();
/** `*` in a policy resource matches any run of characters (as in IAM for execute-api). */
function resourceMatches(pattern: string, arn: string): boolean {
  let re = resourceRegexes.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    // Compiled once per resource pattern (the cached authorizer policy is evaluated on every request).
    if (resourceRegexes.size >= 1000) resourceRegexes.clear();
    resourceRegexes.set(pattern, re);
  }
  return re.test(arn);
}

/** IAM evaluation of an authorizer policy for one method ARN: explicit Deny wins, then Allow, else deny. */
export function policyAllows(result: APIGatewayAuthorizerResult, arn: string): boolean {
  let allowed = false;
  for (const st of result.policyDocument?.Statement ?? []) {
    const s = st as { Effect?: string; Action?: string | string[]; Resource?: string | string[] };
    const actions = ([] as string[]).concat(s.Action ?? []);
    if (!actions.some((a) => a === '*' || a === 'execute-api:*' || a === 'execute-api:Invoke')) continue;
    const resources = ([] as string[]).concat(s.Resource ?? []);
    if (!resources.some((r) => resourceMatches(r, arn))) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

/** The authorizer context as API Gateway passes it to the integration (plus principalId). */
export function authorizerContext(result: APIGatewayAuthorizerResult): Record<string, unknown> {
  return { ...(result.context ?? {}), principalId: result.principalId };
}
