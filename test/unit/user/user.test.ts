import { userConfig } from '../../../functions/user/config';
import bcrypt from 'bcryptjs';
import { dummyHash, hashPassword, verifyPassword } from '../../../functions/user/adapters/password';
import { LoginBodySchema, RegisterBodySchema } from '../../../functions/user/domain/schemas';

describe('user config', () => {
  it('defaults the bcrypt cost to 12 and refuses a cost below 10 on a deployed stage', () => {
    expect(userConfig({}).BCRYPT_COST).toBe(12);
    expect(userConfig({ BCRYPT_COST: '4', STAGE: 'local' }).BCRYPT_COST).toBe(4);
    expect(userConfig({ BCRYPT_COST: '10', STAGE: 'prod' }).BCRYPT_COST).toBe(10);
    expect(() => userConfig({ BCRYPT_COST: '9', STAGE: 'prod' })).toThrow(/BCRYPT_COST: must be at least 10/);
    expect(() => userConfig({ BCRYPT_COST: '4', STAGE: 'dev' })).toThrow(/BCRYPT_COST/);
    expect(() => userConfig({ BCRYPT_COST: 'twelve' })).toThrow(/BCRYPT_COST/);
  });
});

describe('passwords', () => {
  it('every character counts, past bcrypt\'s 72 bytes too', async () => {
    const long = 'é'.repeat(100); // 200 bytes of UTF-8
    const hash = await hashPassword(long, 4);
    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    expect(await verifyPassword(long, hash)).toBe(true);
    expect(await verifyPassword(`${'é'.repeat(99)}e`, hash)).toBe(false);
  });
});

describe('the unknown-email dummy hash', () => {
  it('is a bcrypt hash at the configured cost that no password matches (so it costs one real comparison)', async () => {
    for (const cost of [4, 5]) {
      expect(bcrypt.getRounds(dummyHash(cost))).toBe(cost);
      expect(await verifyPassword('x'.repeat(12), dummyHash(cost))).toBe(false);
      expect(await verifyPassword('', dummyHash(cost))).toBe(false);
    }
  });
});

describe('request schemas', () => {
  it('normalise the email, drop unknown keys (roles) and bound the password', () => {
    expect(RegisterBodySchema.parse({ email: ' A@Example.COM ', password: 'x'.repeat(12), roles: ['admin'] })).toEqual({ email: 'a@example.com', password: 'x'.repeat(12) });
    expect(RegisterBodySchema.safeParse({ email: 'a@example.com', password: 'x'.repeat(11) }).success).toBe(false);
    // A NUL in the name: PostgreSQL text cannot store it (a 500 before); a 400 naming `name` now.
    const nul = RegisterBodySchema.safeParse({ email: 'a@example.com', password: 'x'.repeat(12), name: 'a\u0000b' });
    expect(nul.success ? [] : nul.error.issues.map((i) => i.path.join('.'))).toEqual(['name']);
    expect(RegisterBodySchema.safeParse({ email: 'a@example.com', password: 'x'.repeat(129) }).success).toBe(false);
    expect(LoginBodySchema.parse({ email: 'B@example.com', password: 'short' })).toEqual({ email: 'b@example.com', password: 'short' });
  });
});
