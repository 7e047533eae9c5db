/**
 * The SIWE message checks that need neither Redis nor the chain (functions/web3/domain/siwe.ts):
 * messages are made and signed with viem, as a wallet would.
 */
import { createSiweMessage } from 'viem/siwe';
import { ValidationError } from '../../../functions/shared/errors';
import { SiweRejectedError } from '../../../functions/web3/domain/errors';
import { CLOCK_SKEW_MS, checkSiweMessage } from '../../../functions/web3/domain/siwe';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const RULES = { domain: 'shop.example.com', chainId: 8453, maxAgeMs: 300_000, now: NOW };
const ADDRESS = '0x052dDda1C23C8014E98b8ded465D656fE9DE9Bcc';

function message(over: Partial<Parameters<typeof createSiweMessage>[0]> = {}): string {
  return createSiweMessage({
    address: ADDRESS,
    chainId: 8453,
    domain: 'shop.example.com',
    nonce: 'a1b2c3d4e5f60718',
    uri: 'https://shop.example.com/login',
    version: '1',
    issuedAt: new Date(NOW.getTime() - 10_000),
    ...over,
  });
}

function rejected(fn: () => unknown): SiweRejectedError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SiweRejectedError);
    return err as SiweRejectedError;
  }
  throw new Error('expected a SiweRejectedError');
}

describe('checkSiweMessage', () => {
  it('accepts a well-made message and returns its fields, the address checksummed', () => {
    const f = checkSiweMessage(message({ address: ADDRESS.toLowerCase() as `0x${string}` }), RULES);
    expect(f).toEqual({ address: ADDRESS, domain: 'shop.example.com', chainId: 8453, nonce: 'a1b2c3d4e5f60718', issuedAt: new Date(NOW.getTime() - 10_000) });
  });

  it('refuses another domain (SIWE_DOMAIN), naming both', () => {
    const e = rejected(() => checkSiweMessage(message({ domain: 'evil.example.com' }), RULES));
    expect(e.code).toBe('SIWE_DOMAIN');
    expect(e.message).toContain('evil.example.com');
    expect(e.message).toContain('shop.example.com');
  });

  it('refuses another chain (SIWE_CHAIN)', () => {
    expect(rejected(() => checkSiweMessage(message({ chainId: 1 }), RULES)).code).toBe('SIWE_CHAIN');
  });

  it('refuses an expired message, and one not valid yet', () => {
    expect(rejected(() => checkSiweMessage(message({ expirationTime: new Date(NOW.getTime() - 1) }), RULES)).code).toBe('SIWE_EXPIRED');
    expect(rejected(() => checkSiweMessage(message({ notBefore: new Date(NOW.getTime() + CLOCK_SKEW_MS + 1000) }), RULES)).code).toBe('SIWE_NOT_YET_VALID');
    expect(rejected(() => checkSiweMessage(message({ issuedAt: new Date(NOW.getTime() + CLOCK_SKEW_MS + 1000) }), RULES)).code).toBe('SIWE_NOT_YET_VALID');
  });

  it('allows the clock skew either way, and refuses a message older than a nonce lives (SIWE_STALE)', () => {
    expect(() => checkSiweMessage(message({ issuedAt: new Date(NOW.getTime() + CLOCK_SKEW_MS - 1000) }), RULES)).not.toThrow();
    expect(() => checkSiweMessage(message({ expirationTime: new Date(NOW.getTime() + 1000) }), RULES)).not.toThrow();
    expect(rejected(() => checkSiweMessage(message({ issuedAt: new Date(NOW.getTime() - 300_000 - CLOCK_SKEW_MS - 1000) }), RULES)).code).toBe('SIWE_STALE');
  });

  it('answers a malformed message with a 400 naming each missing field under message.*', () => {
    let err: unknown;
    try {
      checkSiweMessage('hello, sign me', RULES);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['message.domain', 'message.address', 'message.uri', 'message.version', 'message.chainId', 'message.nonce', 'message.issuedAt']));
  });

  it('names only the bad field of an otherwise good message (a nonce shorter than EIP-4361\'s 8 characters)', () => {
    const noNonce = message().replace(/\nNonce: .*/, '\nNonce: abc123');
    let err: unknown;
    try {
      checkSiweMessage(noNonce, RULES);
    } catch (e) {
      err = e;
    }
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['message.nonce']);
  });
});
