import { z } from 'zod';
import { loadConfig } from '../shared/config';

/** An unset variable and an empty one mean the same: not configured. */
const optional = <S extends z.ZodType>(s: S) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address');

/**
 * The web3 service's environment (CDK sets it from context, the local runtime from the local chain;
 * docs/web3.md). Parsed once at cold start; a bad value fails the function naming the variable.
 *
 * Two parts may be absent on purpose, and only their routes then answer 501:
 *  - SIWE_DOMAIN: wallet sign-in (the front end's host the message must name);
 *  - WEB3_PAYEE_ADDRESS and WEB3_TOKEN_ADDRESS: crypto payments (the shop's receiving wallet and the
 *    stablecoin it accepts).
 */
export const Web3ConfigSchema = z
  .object({
    WEB3_CHAIN_ID: z.coerce.number().int().positive(),
    /** The JSON-RPC endpoint, locally. On AWS it is a secret (provider URLs embed an API key). */
    WEB3_RPC_URL: optional(z.string().url()),
    WEB3_RPC_URL_SECRET_ARN: optional(z.string()),
    /** The ERC-20 stablecoin payments are made in, pegged 1:1 to WEB3_TOKEN_CURRENCY. */
    WEB3_TOKEN_ADDRESS: optional(Address),
    /** The ISO 4217 currency the token is pegged to: orders in another currency cannot be paid with it. */
    WEB3_TOKEN_CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR').default('EUR'),
    WEB3_PAYEE_ADDRESS: optional(Address),
    /** Blocks on top of (and including) the payment's block before it counts: the reorg margin. @default 12 */
    WEB3_MIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(12),
    /** host[:port] without scheme, e.g. shop.example.com. */
    SIWE_DOMAIN: optional(z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, 'must be a host[:port] without scheme or path')),
    /** How long a sign-in nonce lives (Redis TTL), and so how old a message may be. @default 300 */
    SIWE_NONCE_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
    /** Each JSON-RPC call's time limit. @default 5000 */
    WEB3_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  })
  .refine((c) => c.WEB3_RPC_URL !== undefined || c.WEB3_RPC_URL_SECRET_ARN !== undefined, {
    message: 'set WEB3_RPC_URL (local) or WEB3_RPC_URL_SECRET_ARN (AWS)',
    path: ['WEB3_RPC_URL'],
  });
export type Web3Config = z.infer<typeof Web3ConfigSchema>;

export function web3Config(env: NodeJS.ProcessEnv = process.env): Web3Config {
  return loadConfig(Web3ConfigSchema, env);
}
