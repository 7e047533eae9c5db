import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { UnauthorizedError } from './errors';
import { secretString } from './adapters/secrets';

/**
 * JWT helpers (jose, HS256). One place knows the token format:
 *  - claims: `sub` = userId, `roles` = string[], `sid` = the session (session tokens only); issuer and
 *    audience checked; expiry required.
 *  - secret: JWT_SECRET (local/dev) or JWT_SECRET_ARN (AWS Secrets Manager, read once per cold start).
 *  - issuer JWT_ISSUER (default 'shop'), audience JWT_AUDIENCE (default 'shop-api').
 * `signToken` is used by the user service (log in) and by tests; `verifyToken` by the authorizer.
 */
export const DEFAULT_ISSUER = 'shop';
export const DEFAULT_AUDIENCE = 'shop-api';
export const DEFAULT_TTL = '1h';

export interface TokenClaims {
  readonly userId: string;
  readonly roles: readonly string[];
  /** The Redis session a log in made (POST /sessions); absent on dev tokens (`npm run token`). */
  readonly sid?: string;
}

export interface TokenOptions {
  /** Overrides the configured secret (tests). */
  readonly secret?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** jose duration ('15m', '1h') or seconds since epoch. @default '1h' */
  readonly expiresIn?: string | number;
}

const encoder = new TextEncoder();
let cachedSecret: { key: string; value: Promise<Uint8Array> } | undefined;

/** The HS256 key from JWT_SECRET, else from the JWT_SECRET_ARN secret; throws naming both when neither is set. */
export function jwtKey(env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  const key = `${env.JWT_SECRET ?? ''}|${env.JWT_SECRET_ARN ?? ''}`;
  if (cachedSecret?.key === key) return cachedSecret.value;
  let value: Promise<Uint8Array>;
  if (env.JWT_SECRET) value = Promise.resolve(encoder.encode(env.JWT_SECRET));
  else if (env.JWT_SECRET_ARN) value = secretString(env.JWT_SECRET_ARN).then((s) => encoder.encode(s));
  else value = Promise.reject(new Error('invalid environment: set JWT_SECRET (local) or JWT_SECRET_ARN (AWS)'));
  value.catch(() => (cachedSecret = undefined));
  cachedSecret = { key, value };
  return value;
}

async function keyFor(opts: TokenOptions): Promise<Uint8Array> {
  return opts.secret !== undefined ? encoder.encode(opts.secret) : jwtKey();
}

export async function signToken(claims: TokenClaims, opts: TokenOptions = {}): Promise<string> {
  if (!claims.userId) throw new Error('signToken: userId is required');
  const jwt = new SignJWT({ roles: [...claims.roles], ...(claims.sid ? { sid: claims.sid } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(opts.issuer ?? process.env.JWT_ISSUER ?? DEFAULT_ISSUER)
    .setAudience(opts.audience ?? process.env.JWT_AUDIENCE ?? DEFAULT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? DEFAULT_TTL);
  return jwt.sign(await keyFor(opts));
}

/** Verifies signature, issuer, audience and expiry; throws UnauthorizedError saying why. */
export async function verifyToken(token: string, opts: TokenOptions = {}): Promise<TokenClaims> {
  if (!token) throw new UnauthorizedError('missing token');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, await keyFor(opts), {
      algorithms: ['HS256'],
      issuer: opts.issuer ?? process.env.JWT_ISSUER ?? DEFAULT_ISSUER,
      audience: opts.audience ?? process.env.JWT_AUDIENCE ?? DEFAULT_AUDIENCE,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('token expired');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new UnauthorizedError('bad token signature');
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new UnauthorizedError(`bad token claim '${err.claim}'`);
    if (err instanceof joseErrors.JOSEError) throw new UnauthorizedError(`invalid token (${err.code})`);
    throw err;
  }
  const roles = Array.isArray(payload.roles) ? (payload.roles as unknown[]).filter((r): r is string => typeof r === 'string') : [];
  const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
  return { userId: payload.sub as string, roles, ...(sid ? { sid } : {}) };
}

/** `Authorization: Bearer <jwt>` -> the token, or undefined. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}
