import { SignJWT, decodeJwt } from 'jose';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, jwtKey } from '../../shared/auth';

/**
 * The session JWT: signed as functions/shared/auth.ts `signToken` signs (HS256, the same key, issuer
 * and audience; `sub` = userId, `roles`), plus `sid`, the Redis session it belongs to, and an
 * expiry of the session's TTL.
 */
export async function signSessionToken(claims: { userId: string; roles: readonly string[]; sid: string }, issuedAt: number, expiresAt: number): Promise<string> {
  return new SignJWT({ roles: [...claims.roles], sid: claims.sid })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(process.env.JWT_ISSUER ?? DEFAULT_ISSUER)
    .setAudience(process.env.JWT_AUDIENCE ?? DEFAULT_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(await jwtKey());
}

/**
 * The `sid` claim of a token whose signature was already verified (verifyToken), or undefined
 * (a dev token from `npm run token` has none). Never use on an unverified token.
 */
export function sessionIdOf(verifiedToken: string): string | undefined {
  const sid = decodeJwt(verifiedToken).sid;
  return typeof sid === 'string' && sid !== '' ? sid : undefined;
}
