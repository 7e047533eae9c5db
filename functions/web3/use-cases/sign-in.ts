import { randomBytes, randomUUID } from 'node:crypto';
import { recoverMessageAddress, type Hex } from 'viem';
import { generateSiweNonce } from 'viem/siwe';
import { signToken } from '../../shared/auth';
import { createSession } from '../../user/adapters/redis-sessions';
import { SESSION_TTL_SECONDS } from '../../user/domain/schemas';
import type { Web3Config } from '../config';
import { chain } from '../adapters/chain';
import { upsertWalletAccount } from '../adapters/pg-web3';
import { storeNonce, takeNonce } from '../adapters/redis-nonces';
import { SiweRejectedError, Web3NotConfiguredError } from '../domain/errors';
import type { VerifyBody } from '../domain/schemas';
import { checkSiweMessage } from '../domain/siwe';

/** A wallet account's roles: a wallet signs in as a customer; admin is never granted by a signature. */
const WALLET_ROLES = ['customer'] as const;

function siweDomain(config: Web3Config): string {
  if (!config.SIWE_DOMAIN) throw new Web3NotConfiguredError('wallet sign-in', 'SIWE_DOMAIN, CDK context siweDomain');
  return config.SIWE_DOMAIN;
}

export interface IssuedNonce {
  readonly nonce: string;
  readonly expiresAt: string;
  readonly domain: string;
  readonly chainId: number;
}

/** A fresh single-use nonce (and the domain and chain the message must name), live for SIWE_NONCE_TTL_SECONDS. */
export async function issueNonce(config: Web3Config, now = new Date()): Promise<IssuedNonce> {
  const domain = siweDomain(config);
  const nonce = generateSiweNonce();
  await storeNonce(nonce, config.SIWE_NONCE_TTL_SECONDS);
  return { nonce, expiresAt: new Date(now.getTime() + config.SIWE_NONCE_TTL_SECONDS * 1000).toISOString(), domain, chainId: config.WEB3_CHAIN_ID };
}

export interface WalletSession {
  readonly token: string;
  readonly expiresAt: string;
  readonly userId: string;
  readonly address: string;
  readonly created: boolean;
}

/**
 * Signs a wallet in (EIP-4361):
 *  1. the message's fields, domain, chain and time window (domain/siwe.ts);
 *  2. the signature: recovered offline for an ordinary account; a smart-contract wallet's (ERC-1271,
 *     or ERC-6492 before it is deployed) is checked on chain;
 *  3. the nonce is taken (GETDEL): only after the signature holds, so a stranger who saw a nonce
 *     cannot burn it with a bad signature;
 *  4. the wallet's account (made on first sign-in), then a 24 h session in Redis and a JWT carrying
 *     it, exactly like POST /sessions, so logout and the authorizer treat both alike.
 */
export async function signIn(config: Web3Config, body: VerifyBody, now = new Date()): Promise<WalletSession> {
  const fields = checkSiweMessage(body.message, {
    domain: siweDomain(config),
    chainId: config.WEB3_CHAIN_ID,
    maxAgeMs: config.SIWE_NONCE_TTL_SECONDS * 1000,
    now,
  });
  const signature = body.signature as Hex;
  if (!(await signedBy(config, fields.address, body.message, signature))) {
    throw new SiweRejectedError(`signature: not made by ${fields.address} over this message`, 'SIWE_SIGNATURE');
  }
  if (!(await takeNonce(fields.nonce))) {
    throw new SiweRejectedError('message.nonce: unknown, expired or already used; ask POST /web3/nonce for a new one', 'SIWE_NONCE');
  }
  const { userId, created } = await upsertWalletAccount(fields.address, randomUUID());
  const sid = randomBytes(32).toString('base64url');
  const exp = Math.floor(now.getTime() / 1000) + SESSION_TTL_SECONDS;
  await createSession(sid, userId, SESSION_TTL_SECONDS);
  const token = await signToken({ userId, roles: WALLET_ROLES, sid }, { expiresIn: exp });
  return { token, expiresAt: new Date(exp * 1000).toISOString(), userId, address: fields.address, created };
}

async function signedBy(config: Web3Config, address: `0x${string}`, message: string, signature: Hex): Promise<boolean> {
  // 65 bytes: an ordinary account's signature, checked without the chain.
  if (signature.length === 132) {
    const recovered = await recoverMessageAddress({ message, signature }).catch(() => undefined);
    if (recovered?.toLowerCase() === address.toLowerCase()) return true;
  }
  // Anything else can only be a contract wallet's: ask the chain (no code there and no ERC-6492
  // wrapper: viem falls back to the plain check, which then fails).
  const c = await chain(config);
  return c.verifyContractSignature(address, message, signature);
}
