process.env.JWT_SECRET = 'unit-test-secret-0123456789';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { SignJWT } from 'jose';
import { handler } from '../../../functions/platform/authorizer';
import { bearerToken, signToken, verifyToken } from '../../../functions/shared/auth';
import { UnauthorizedError } from '../../../functions/shared/errors';

const methodArn = 'arn:aws:execute-api:us-east-1:000000000000:local/local/GET/orders/o-1';
const event = (authorization?: string): APIGatewayRequestAuthorizerEvent =>
  ({ type: 'REQUEST', methodArn, headers: authorization ? { Authorization: authorization } : {} }) as unknown as APIGatewayRequestAuthorizerEvent;

describe('JWT authorizer', () => {
  it('allows a valid token and passes userId and roles as context', async () => {
    const token = await signToken({ userId: 'u-1', roles: ['customer', 'admin'] });
    const res = await handler(event(`Bearer ${token}`));
    expect(res.principalId).toBe('u-1');
    expect(res.context).toEqual({ userId: 'u-1', roles: 'customer,admin' });
    expect(res.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: ['arn:aws:execute-api:us-east-1:000000000000:local/local/*'] }]);
  });

  it('denies admin routes explicitly for a caller without the admin role', async () => {
    const token = await signToken({ userId: 'u-2', roles: ['customer'] });
    const res = await handler(event(`bearer ${token}`));
    const deny = res.policyDocument.Statement.find((s) => s.Effect === 'Deny') as { Resource: string[] };
    expect(deny.Resource).toContain('arn:aws:execute-api:us-east-1:000000000000:local/local/POST/products');
    expect(deny.Resource).toContain('arn:aws:execute-api:us-east-1:000000000000:local/local/PATCH/products/*');
  });

  it('rejects a missing token with Unauthorized', async () => {
    await expect(handler(event())).rejects.toThrow(/^Unauthorized$/);
    await expect(handler(event('Basic abc'))).rejects.toThrow(/^Unauthorized$/);
  });

  it('rejects an expired token with Unauthorized', async () => {
    const token = await signToken({ userId: 'u-1', roles: [] }, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    await expect(verifyToken(token)).rejects.toThrow(new UnauthorizedError('token expired'));
    await expect(handler(event(`Bearer ${token}`))).rejects.toThrow(/^Unauthorized$/);
  });

  it('rejects a token signed with another secret with Unauthorized', async () => {
    const token = await signToken({ userId: 'u-1', roles: [] }, { secret: 'another-secret-0123456789' });
    await expect(verifyToken(token)).rejects.toThrow(/bad token signature/);
    await expect(handler(event(`Bearer ${token}`))).rejects.toThrow(/^Unauthorized$/);
  });

  it('rejects a token for another audience or issuer', async () => {
    await expect(verifyToken(await signToken({ userId: 'u', roles: [] }, { audience: 'other' }))).rejects.toThrow(/bad token claim 'aud'/);
    await expect(verifyToken(await signToken({ userId: 'u', roles: [] }, { issuer: 'evil' }))).rejects.toThrow(/bad token claim 'iss'/);
  });

  it('rejects a token without an expiry or with alg none', async () => {
    const noExp = await new SignJWT({ roles: [] }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('shop').setAudience('shop-api').sign(new TextEncoder().encode(process.env.JWT_SECRET));
    await expect(verifyToken(noExp)).rejects.toThrow(UnauthorizedError);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u","exp":9999999999}').toString('base64url')}.`;
    await expect(verifyToken(none)).rejects.toThrow(UnauthorizedError);
    await expect(verifyToken('garbage')).rejects.toThrow(UnauthorizedError);
  });

  it('extracts bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Token abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
