import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { z } from 'zod';
import { allRoutes } from '../../lib/manifest';
import { bearerToken, verifyToken } from '../shared/auth';
import { loadConfig } from '../shared/config';
import { UnauthorizedError } from '../shared/errors';
import { logger } from '../shared/powertools';

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

export function policyFor(userId: string, roles: readonly string[], methodArn: string): APIGatewayAuthorizerResult {
  const base = stageArn(methodArn);
  const statements: APIGatewayAuthorizerResult['policyDocument']['Statement'] = [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${base}/*`] }];
  if (!roles.includes(ADMIN_ROLE)) {
    const denied = ADMIN_ROUTES.map((r) => `${base}/${r}`);
    if (denied.length > 0) statements.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: denied });
  }
  return {
    principalId: userId,
    policyDocument: { Version: '2012-10-17', Statement: statements },
    context: { userId, roles: roles.join(',') },
  };
}

function authorizationHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === 'authorization' && v) return v;
  return undefined;
}

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  void config;
  try {
    const token = bearerToken(authorizationHeader(event));
    if (!token) throw new UnauthorizedError('missing bearer token');
    const claims = await verifyToken(token);
    return policyFor(claims.userId, claims.roles, event.methodArn);
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      logger.info('authorizer rejected the request', { reason: err.message, methodArn: event.methodArn });
      throw new Error('Unauthorized');
    }
    throw err;
  }
};
