import {
  BaseError,
  createPublicClient,
  http,
  TransactionReceiptNotFoundError,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { forgetSecret, secretString } from '../../shared/adapters/secrets';
import { logger } from '../../shared/powertools';
import type { Web3Config } from '../config';
import { ERC20_ABI } from '../domain/payment';

const TRANSFER_EVENT = ERC20_ABI.find((x) => x.type === 'event' && x.name === 'Transfer')!;
import { ChainUnavailableError } from '../domain/errors';

/**
 * The JSON-RPC chain, through viem. One client per cold start; every call is bounded by
 * WEB3_RPC_TIMEOUT_MS and retried twice by viem's transport (reads only: nothing here sends a
 * transaction). Any failure to get an answer is a ChainUnavailableError (503, retry): a verdict on a
 * payment is only ever given from an answer.
 *
 * Before its first use the client checks that the endpoint serves the configured chain: a testnet URL
 * beside a mainnet token address would otherwise find no payments, or, worse, find a testnet
 * "payment" to the same address.
 */
export interface Chain {
  receipt(hash: Hex): Promise<TransactionReceipt | undefined>;
  blockNumber(): Promise<bigint>;
  decimals(token: `0x${string}`): Promise<number>;
  hasCode(address: `0x${string}`): Promise<boolean>;
  /** ERC-1271 (deployed smart wallets) and ERC-6492 (not yet deployed ones) through eth_call. */
  verifyContractSignature(address: `0x${string}`, message: string, signature: Hex): Promise<boolean>;
  /** The token's Transfer logs to `payee` in [fromBlock, toBlock], in chain order. */
  transfersTo(token: `0x${string}`, payee: `0x${string}`, fromBlock: bigint, toBlock: bigint): Promise<Array<{ txHash: Hex; from: string; blockNumber: bigint }>>;
}

let cached: { key: string; chain: Promise<Chain> } | undefined;

export function chain(config: Web3Config): Promise<Chain> {
  const key = `${config.WEB3_RPC_URL ?? ''}|${config.WEB3_RPC_URL_SECRET_ARN ?? ''}|${config.WEB3_CHAIN_ID}`;
  if (cached?.key !== key) {
    const p = connect(config);
    p.catch(() => {
      if (cached?.chain === p) cached = undefined;
    });
    cached = { key, chain: p };
  }
  return cached.chain;
}

/** Forgets the client (tests that point the service at another endpoint). */
export function resetChain(): void {
  cached = undefined;
}

async function rpcUrl(config: Web3Config): Promise<string> {
  if (config.WEB3_RPC_URL) return config.WEB3_RPC_URL;
  const arn = config.WEB3_RPC_URL_SECRET_ARN!;
  const value = (await secretString(arn)).trim();
  if (!/^https?:\/\//i.test(value)) {
    // Read again next time: the operator may set it while this function stays warm.
    forgetSecret(arn);
    throw new ChainUnavailableError(`the chain's RPC URL is not set yet: put the provider's https:// URL in secret ${arn}`);
  }
  return value;
}

async function connect(config: Web3Config): Promise<Chain> {
  const url = await rpcUrl(config);
  const client: PublicClient = createPublicClient({
    transport: http(url, { timeout: config.WEB3_RPC_TIMEOUT_MS, retryCount: 2, retryDelay: 150 }),
  });
  const served = await call('eth_chainId', () => client.getChainId());
  if (served !== config.WEB3_CHAIN_ID) {
    logger.error('the RPC endpoint serves another chain', { served, configured: config.WEB3_CHAIN_ID });
    throw new ChainUnavailableError(`the RPC endpoint serves chain ${served}, not the configured chain ${config.WEB3_CHAIN_ID}`);
  }
  const decimals = new Map<string, Promise<number>>();
  return {
    receipt: (hash) =>
      call('eth_getTransactionReceipt', async () => {
        try {
          return await client.getTransactionReceipt({ hash });
        } catch (err) {
          if (err instanceof TransactionReceiptNotFoundError) return undefined;
          throw err;
        }
      }),
    blockNumber: () => call('eth_blockNumber', () => client.getBlockNumber({ cacheTime: 0 })),
    decimals: (token) => {
      const k = token.toLowerCase();
      let p = decimals.get(k);
      if (!p) {
        p = call('decimals()', () => client.readContract({ address: token, abi: ERC20_ABI, functionName: 'decimals' }));
        p.catch(() => decimals.delete(k));
        decimals.set(k, p);
      }
      return p;
    },
    hasCode: (address) => call('eth_getCode', async () => ((await client.getCode({ address })) ?? '0x') !== '0x'),
    verifyContractSignature: (address, message, signature) => call('eth_call (ERC-1271)', () => client.verifyMessage({ address, message, signature })),
    transfersTo: (token, payee, fromBlock, toBlock) =>
      call('eth_getLogs', async () => {
        const logs = await client.getLogs({ address: token, event: TRANSFER_EVENT, args: { to: payee }, fromBlock, toBlock, strict: true });
        return logs.map((l) => ({ txHash: l.transactionHash, from: l.args.from, blockNumber: l.blockNumber }));
      }),
  };
}

/** Runs one RPC read; a failure to get an answer becomes a ChainUnavailableError naming the call. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ChainUnavailableError) throw err;
    const short = err instanceof BaseError ? err.shortMessage : (err as Error).message;
    logger.warn('chain call failed', { call: what, error: short });
    throw new ChainUnavailableError(`the chain did not answer ${what}: ${short}`);
  }
}
