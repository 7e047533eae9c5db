import type { Hex } from 'viem';
import { DomainError } from '../../shared/errors';
import { logger } from '../../shared/powertools';
import type { Web3Config } from '../config';
import { chain } from '../adapters/chain';
import { findByTransaction, orderForPayment, walletOwner, watchedTo, watchedUpTo } from '../adapters/pg-web3';
import { OrderAlreadyPaidError, OrderNotPayableError, OrderNotReadyError, UnderpaidError } from '../domain/errors';
import { verifyPayment, type VerifyHooks } from './verify-payment';

/** A first run looks this far back (about 33 minutes on Base, more than the saga's payment window). */
export const FIRST_RUN_LOOKBACK_BLOCKS = 1000n;
/** Blocks per eth_getLogs: providers refuse wide ranges (commonly above 2,000 to 10,000 blocks). */
export const MAX_BLOCK_RANGE = 2000n;
/** How long a payment waits for its order's reservation before the watcher moves past it. */
export const NOT_READY_PATIENCE_MS = 5 * 60_000;

export interface WatchResult {
  readonly fromBlock: string;
  readonly toBlock: string;
  /** Transfers recorded now: paying their order, or for a refund. */
  readonly recorded: number;
  /** Transfers already recorded (verified by the customer through the API). */
  readonly known: number;
  /** Transfers from a wallet with no account, or from an account that never ordered in crypto: left to the operator. */
  readonly unattributed: number;
  /** Transfers refused for a reason of the transaction itself (not confirmed enough, say). */
  readonly refused: number;
}

export interface WatchHooks extends VerifyHooks {
  readonly onUnattributed?: (n: number) => void;
}

/**
 * Web3PaymentWatcher: a customer who pays and never calls POST /web3/payments/verify (a closed tab)
 * would otherwise leave the money in the shop's wallet with no record and the order waiting out its
 * window. Every run reads the token's Transfer logs to the shop's wallet from the block after the
 * last one finished up to the newest block with WEB3_MIN_CONFIRMATIONS, at most MAX_BLOCK_RANGE, and
 * gives each transfer nobody recorded to the same verification the API runs, for the order the payer
 * most likely meant (adapters/pg-web3.ts `orderForPayment`: the oldest waiting crypto order, else the
 * newest crypto order; the payer's wallet names the customer, since only wallets that signed in have
 * accounts). The verification decides as for the API: it pays the order, or it is recorded for a
 * refund. Its order not reserved yet: the run stops before that block and the next run tries again,
 * for up to NOT_READY_PATIENCE_MS.
 *
 * A transfer from a wallet without an account, or from a customer who never ordered in crypto,
 * cannot be attributed to an order: it is logged with its transaction and counted
 * (CryptoPaymentsUnattributed, alarmed), for the operator.
 */
export async function watchPayments(config: Web3Config, hooks: WatchHooks = {}, now = new Date()): Promise<WatchResult | undefined> {
  if (!config.WEB3_PAYEE_ADDRESS || !config.WEB3_TOKEN_ADDRESS) return undefined; // crypto payments not configured
  const token = config.WEB3_TOKEN_ADDRESS as `0x${string}`;
  const payee = config.WEB3_PAYEE_ADDRESS as `0x${string}`;
  const c = await chain(config);
  const head = await c.blockNumber();
  const confirmed = head - BigInt(config.WEB3_MIN_CONFIRMATIONS - 1);
  const last = await watchedUpTo(config.WEB3_CHAIN_ID, token, payee);
  const fromBlock = last === undefined ? max(0n, confirmed - FIRST_RUN_LOOKBACK_BLOCKS) : last + 1n;
  const toBlock = min(confirmed, fromBlock + MAX_BLOCK_RANGE - 1n);
  const result = { fromBlock: fromBlock.toString(), toBlock: toBlock.toString(), recorded: 0, known: 0, unattributed: 0, refused: 0 };
  if (toBlock < fromBlock) return result;

  const seen = new Set<string>();
  let doneUpTo = toBlock;
  for (const t of await c.transfersTo(token, payee, fromBlock, toBlock)) {
    if (seen.has(t.txHash)) continue;
    seen.add(t.txHash);
    if (await findByTransaction(config.WEB3_CHAIN_ID, t.txHash)) {
      result.known++;
      continue;
    }
    const userId = await walletOwner(t.from);
    const order = userId === undefined ? undefined : await orderForPayment(userId);
    if (userId === undefined || order === undefined) {
      result.unattributed++;
      logger.warn('crypto payment not attributable to an order', { txHash: t.txHash, from: t.from, blockNumber: t.blockNumber.toString(), account: userId ?? null });
      continue;
    }
    try {
      await verifyPayment(config, { userId, roles: ['customer'] }, { orderId: order.id, txHash: t.txHash as Hex }, hooks);
      result.recorded++;
    } catch (err) {
      if (err instanceof OrderNotReadyError && now.getTime() - order.createdAt.getTime() < NOT_READY_PATIENCE_MS) {
        doneUpTo = t.blockNumber - 1n; // again next run, from this block
        break;
      }
      if (!(err instanceof DomainError) || err.code === 'DEPENDENCY_UNAVAILABLE') throw err; // nothing advances: the next run retries
      // Recorded for a refund (the refusals that say so), or refused for the transaction's own reason.
      if (err instanceof OrderNotPayableError || err instanceof OrderAlreadyPaidError || err instanceof UnderpaidError) result.recorded++;
      else {
        result.refused++;
        logger.warn('crypto payment refused by the watcher', { txHash: t.txHash, orderId: order.id, code: err.code, error: err.message });
      }
    }
  }
  if (doneUpTo >= fromBlock) await watchedTo(config.WEB3_CHAIN_ID, token, payee, doneUpTo);
  if (result.unattributed > 0) hooks.onUnattributed?.(result.unattributed);
  return { ...result, toBlock: (doneUpTo >= fromBlock ? doneUpTo : fromBlock - 1n).toString() };
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
