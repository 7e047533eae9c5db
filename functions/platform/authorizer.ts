import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { z } from 'zod';
import { allRoutes } from '../../lib/manifest';
import { bearerToken, verifyToken } from '../shared/auth';
import { loadConfig } from '../shared/config';
import { UnauthorizedError } from '../shared/errors';
import { logger } from '../shared/powertools';
import { sessionIsLive } from '../user/adapters/redis-sessions';

/**
 * JWT Lambda authorizer (REQUEST type, identity source: the Authorization header).
 * Verifies `Authorization: Bearer <jwt>` (HS256, issuer, audience, expiry; see functions/shared/auth.ts) and
 * returns an IAM policy plus context { userId, roles } (roles as a comma-separated string, since
 * authorizer context values must be scalars).
 *
 * The policy is cache-safe (API Gateway caches it per token for every method): it allows the whole
 * stage and, for callers without the 'admin' role, explicitly denies every 'admin' route of the
 * manifest, so an admin route answers 403 while every other route is allowed.
 * A missing or invalid token throws `Error('Unauthorized')`, which API Gateway turns into 401.
 *
 * Sessions: a token with a `sid` claim (issued by POST /sessions) is allowed only while its Redis
 * session `session:<sid>` exists and names the token's user; after a logout (DELETE
 * /sessions/current) or the 24 h TTL it is 401. Redis unreachable: the token is allowed on its
 * signature and expiry (an error is logged): the session store is what makes a logout take effect,
 * and failing closed would lock every logged-in customer out while a cache node is down; a logged-out
 * token stays usable only for that outage, and at most until its own 24 h expiry. A token without `sid` (`npm run token`, tests)
 * is checked as before, without Redis. API Gateway caches a decision per token for 5 minutes, so a
 * logout takes up to that long to refuse a token that was used just before (the local gateway
 * caches the same way).
 */
const config = loadConfig(
  z
    .object({ JWT_SECRET: z.string().min(16).optional(), JWT_SECRET_ARN: z.string().startsWith('arn:').optional() })
    .refine((c) => c.JWT_SECRET !== undefined || c.JWT_SECRET_ARN !== undefined, {
      message: 'set JWT_SECRET (local, at least 16 characters) or JWT_SECRET_ARN (AWS)',
      path: ['JWT_SECRET'],
    }),
);

const ADMIN_ROLE = 'admin';
/** `METHOD/path-pattern` of every admin route of the manifest, computed once per cold start. */
const ADMIN_ROUTES: readonly string[] = allRoutes()
  .filter((r) => r.auth === 'admin')
  .map((r) => `${r.method}/${resourcePattern(r.path)}`);

/** `/products/{id}/price` -> `products/* /price` (path parameters become wildcards in a method ARN). */
export function resourcePattern(path: string): string {
  return path.replace(/^\//, '').replace(/\{[^}]+\}/g, '*');
}

/** `arn:aws:execute-api:r:a:api/stage/GET/orders/1` -> `arn:aws:execute-api:r:a:api/stage` */
export function stageArn(methodArn: string): string {
  const [apiPart, stage] = methodArn.split('/');
  if (!apiPart || !stage) throw new Error(`unexpected methodArn '${methodArn}'`);
  return `${apiPart}/${stage}`;
}

export function policyFor(userId: string, roles: readonly string[], methodArn: string, sid?: string): APIGatewayAuthorizerResult {
  const base = stageArn(methodArn);
  const statements: APIGatewayAuthorizerResult['policyDocument']['Statement'] = [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${base}/*`] }];
  if (!roles.includes(ADMIN_ROLE)) {
    const denied = ADMIN_ROUTES.map((r) => `${base}/${r}`);
    if (denied.length > 0) statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: denied });
  }
  return {
    principalId: userId,
    policyDocument: { Version: '2012-10-17', Statement: statements },
    // `sid` (session tokens) lets DELETE /sessions/current end the session without verifying the token again.
    context: { userId, roles: roles.join(','), ...(sid ? { sid } : {}) },
  };
}

function authorizationHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === 'authorization' && v) return v;
  return undefined;
}

/** The session check; true when Redis cannot answer (see above: the token's signature and expiry still hold). */
const SESSION_CHECK_MS = 1500;
async function sessionLiveOrUnknown(sid: string, userId: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // Bounded whatever the client does (a command queued while it reconnects has no timeout of its own).
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${SESSION_CHECK_MS} ms`)), SESSION_CHECK_MS)));
    return await Promise.race([sessionIsLive(sid, userId), late]);
  } catch (err) {
    logger.error('session store unreachable: session token allowed on its signature', { userId, errorType: (err as Error).name, errorMessage: (err as Error).message });
    return true;
  } finally {
    clearTimeout(timer);
  }
}

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  void config;
  try {
    const token = bearerToken(authorizationHeader(event));
    if (!token) throw new UnauthorizedError('missing bearer token');
    const claims = await verifyToken(token);
    if (claims.sid !== undefined && !(await sessionLiveOrUnknown(claims.sid, claims.userId))) throw new UnauthorizedError('session ended');
    return policyFor(claims.userId, claims.roles, event.methodArn, claims.sid);
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      logger.info('authorizer rejected the request', { reason: err.message, methodArn: event.methodArn });
      throw new Error('Unauthorized');
    }
    throw err;
  }
};
