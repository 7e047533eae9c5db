import { z } from 'zod';

/** The web3 service's events go on `payment-events` (keyed by order id), next to the card payments'. */
export const PAYMENT_EVENTS_TOPIC = 'payment-events';
export const WEB3_EVENT_SOURCE = 'shop.web3';

/** A SIWE (EIP-4361) message is a few hundred bytes; 4 KiB leaves room for a statement and resources. */
export const SIWE_MESSAGE_MAX = 4096;
/**
 * 65 bytes for an account's (EOA) signature. A smart-contract wallet's (ERC-1271) or a not yet
 * deployed one's (ERC-6492) is longer; 8 KiB of hex covers the usual ones.
 */
export const SIGNATURE_HEX_MAX = 16_384;

const Hex = (what: string) => z.string().regex(/^0x[0-9a-fA-F]*$/, `must be 0x-prefixed hex (${what})`);

/** POST /web3/nonce: no body needed; any body is ignored. */
export const NonceResponseSchema = z.object({
  nonce: z.string(),
  expiresAt: z.string().datetime(),
  domain: z.string(),
  chainId: z.number().int(),
});

/** POST /web3/verify */
export const VerifyBodySchema = z.object({
  message: z.string().min(1).max(SIWE_MESSAGE_MAX).refine((v) => !v.includes('\u0000'), 'must not contain NUL characters'),
  signature: Hex('the wallet signature').min(4).max(SIGNATURE_HEX_MAX).refine((v) => v.length % 2 === 0, 'must be whole bytes'),
});
export type VerifyBody = z.infer<typeof VerifyBodySchema>;

export const SignInResponseSchema = z.object({
  token: z.string(),
  expiresAt: z.string().datetime(),
  userId: z.string().uuid(),
  /** EIP-55 checksummed. */
  address: z.string(),
  /** True on the wallet's first sign-in (its account was made now). */
  created: z.boolean(),
});

/** POST /web3/payments/verify */
export const PaymentVerifyBodySchema = z.object({
  orderId: z.string().uuid(),
  txHash: Hex('a transaction hash').length(66, 'must be a 32-byte transaction hash (0x and 64 hex digits)'),
});
export type PaymentVerifyBody = z.infer<typeof PaymentVerifyBodySchema>;

export const CryptoPaymentSchema = z.object({
  orderId: z.string().uuid(),
  chainId: z.number().int(),
  txHash: z.string(),
  token: z.string(),
  payer: z.string(),
  /** In the token's base units (a decimal string: it exceeds 2^53). */
  amount: z.string(),
  /** The order total it pays, in the order's minor units. */
  amountCents: z.number().int(),
  currency: z.string(),
  blockNumber: z.number().int(),
  verifiedAt: z.string().datetime(),
});
export type CryptoPayment = z.infer<typeof CryptoPaymentSchema>;

/** CryptoPaymentVerified `data` (version 1), in the shared envelope on `payment-events`. */
export const CryptoPaymentVerifiedData = CryptoPaymentSchema.omit({ verifiedAt: true });
export type CryptoPaymentVerified = z.infer<typeof CryptoPaymentVerifiedData>;
