import { getAddress, isAddress } from 'viem';
import { parseSiweMessage } from 'viem/siwe';
import { ValidationError, type FieldIssue } from '../../shared/errors';
import { SiweRejectedError } from './errors';

/** A wallet's clock and ours may differ a little: a message issued up to this far ahead is accepted. */
export const CLOCK_SKEW_MS = 60_000;

/** The parts of an EIP-4361 message the service checks. */
export interface SiweFields {
  /** EIP-55 checksummed. */
  readonly address: `0x${string}`;
  readonly domain: string;
  readonly chainId: number;
  readonly nonce: string;
  readonly issuedAt: Date;
  readonly expirationTime?: Date;
  readonly notBefore?: Date;
}

export interface SiweRules {
  readonly domain: string;
  readonly chainId: number;
  /** The nonce's lifetime: a message issued before now minus this cannot carry a live nonce. */
  readonly maxAgeMs: number;
  readonly now: Date;
}

/**
 * Parses a Sign-In with Ethereum message and applies every check that needs neither the nonce store
 * nor the signature: required fields (a 400 naming `message.<field>`), then domain, chain and time
 * window (a 401 whose code names the check). The signature covers the whole text, so fields are read
 * from the text the wallet signed, never from anything else the client sends.
 */
export function checkSiweMessage(message: string, rules: SiweRules): SiweFields {
  const m = parseSiweMessage(message);
  const issues: FieldIssue[] = [];
  const need = (field: string, ok: boolean, why = 'missing or malformed') => {
    if (!ok) issues.push({ path: `message.${field}`, message: why });
  };
  need('domain', typeof m.domain === 'string' && m.domain !== '');
  need('address', typeof m.address === 'string' && isAddress(m.address, { strict: false }));
  need('uri', typeof m.uri === 'string' && m.uri !== '');
  need('version', m.version === '1', 'must be 1');
  need('chainId', typeof m.chainId === 'number' && Number.isSafeInteger(m.chainId) && m.chainId > 0);
  need('nonce', typeof m.nonce === 'string' && /^[a-zA-Z0-9]{8,}$/.test(m.nonce), 'missing, or not 8+ alphanumeric characters');
  need('issuedAt', validDate(m.issuedAt));
  if (m.expirationTime !== undefined) need('expirationTime', validDate(m.expirationTime));
  if (m.notBefore !== undefined) need('notBefore', validDate(m.notBefore));
  if (issues.length > 0) throw new ValidationError(`invalid SIWE message: ${issues.map((i) => i.path).join(', ')}`, issues);

  const f: SiweFields = {
    address: getAddress(m.address!),
    domain: m.domain!,
    chainId: m.chainId!,
    nonce: m.nonce!,
    issuedAt: m.issuedAt!,
    ...(m.expirationTime ? { expirationTime: m.expirationTime } : {}),
    ...(m.notBefore ? { notBefore: m.notBefore } : {}),
  };
  // A message made for another site is what a phishing page would ask a wallet to sign.
  if (f.domain.toLowerCase() !== rules.domain.toLowerCase()) throw new SiweRejectedError(`message.domain: the message is for ${f.domain}, not ${rules.domain}`, 'SIWE_DOMAIN');
  if (f.chainId !== rules.chainId) throw new SiweRejectedError(`message.chainId: the message is for chain ${f.chainId}; this shop signs in on chain ${rules.chainId}`, 'SIWE_CHAIN');
  const now = rules.now.getTime();
  if (f.expirationTime && f.expirationTime.getTime() <= now) throw new SiweRejectedError('message.expirationTime: the message has expired', 'SIWE_EXPIRED');
  if (f.notBefore && f.notBefore.getTime() > now + CLOCK_SKEW_MS) throw new SiweRejectedError('message.notBefore: the message is not valid yet', 'SIWE_NOT_YET_VALID');
  if (f.issuedAt.getTime() > now + CLOCK_SKEW_MS) throw new SiweRejectedError('message.issuedAt: the message is issued in the future', 'SIWE_NOT_YET_VALID');
  if (f.issuedAt.getTime() < now - rules.maxAgeMs - CLOCK_SKEW_MS) throw new SiweRejectedError('message.issuedAt: the message is older than a nonce lives; ask for a new nonce', 'SIWE_STALE');
  return f;
}

function validDate(d: unknown): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}
