/**
 * An Ethereum JSON-RPC node for the web3 service: anvil (Foundry) 1.7.1 on 127.0.0.1:18545, chain id
 * 31337, automine (each transaction is mined at once, in a block of its own).
 *
 * The binary comes with `npm ci`: the devDependency @foundry-rs/anvil lists one optional dependency
 * per platform (@foundry-rs/anvil-linux-amd64, ...) that holds the binary itself. Nothing is
 * downloaded here, and the package's postinstall (which would fetch from the registry) is not run.
 *
 * The chain is kept across restarts (--state: loaded at start, written on a clean stop), because
 * PostgreSQL keeps the orders that name its transactions. A file anvil cannot read is moved aside
 * and the chain starts empty; `ensureLocalToken` then deploys the token again, at the same address.
 *
 * After the first answer, the local stablecoin (OpenZeppelin 4.9.6 ERC20PresetMinterPauser, "Local
 * Shop Stablecoin", LSC, 18 decimals; it stands for the shop's currency) is deployed from a deployer account used for nothing else, so its address
 * is always the deployer's first contract address (LOCAL_CHAIN.tokenAddress).
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import type { Abi, Address, Hash, Hex } from 'viem';
import { PORTS, type Endpoints } from './endpoints';
import type { Engine, Log } from './types';
import { ensureDir, spawnDaemon, stateDir } from './util';

export const ANVIL_VERSION = '1.7.1';

export const LOCAL_CHAIN = {
  chainId: 31337,
  /** anvil dev account #9: deploys the token and holds its minter role; local only */
  deployerKey: '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6' as `0x${string}`,
  tokenAddress: '0x700b6A60ce7EaaEA56F065753d8dcB9653dbAD35' as `0x${string}`,
  tokenName: 'Local Shop Stablecoin',
  tokenSymbol: 'LSC',
  tokenDecimals: 18,
  /** anvil dev account #8's address: the local shop's receiving wallet */
  payeeAddress: '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f' as `0x${string}`,
} as const;

/** eth_chainId's answer for LOCAL_CHAIN.chainId. */
const CHAIN_ID_HEX = `0x${LOCAL_CHAIN.chainId.toString(16)}`;

/** A failure of the local token setup that needs a person: a wrong chain, a used deployer, a reverted deploy. */
export class LocalChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalChainError';
  }
}

// node's process.arch -> the arch in Foundry's package names (they ship amd64 and arm64 only).
const ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
const binaryPackage = (): string => `@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}`;

/** The anvil binary from node_modules, or undefined when the platform package is not installed. */
export function anvilPath(): string | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${binaryPackage()}/package.json`);
  } catch {
    return undefined;
  }
  const bin = path.join(path.dirname(pkgJson), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  return existsSync(bin) ? bin : undefined;
}

const STATE_FILE = path.join(stateDir('chain'), 'state.json');

export const chain: Engine = {
  name: 'chain',
  title: `Ethereum JSON-RPC (anvil ${ANVIL_VERSION})`,
  // The state file's path: unique to this set of engines, and independent of the port.
  marker: STATE_FILE,
  startTimeoutMs: 15_000,
  where: (e: Endpoints) => e.chainRpcUrl,
  installed: () => anvilPath() !== undefined,

  async install() {
    if (anvilPath()) return;
    throw new Error(
      `the anvil binary is missing: it comes from the npm package ${binaryPackage()}, an optional dependency of the devDependency @foundry-rs/anvil; ` +
        'run npm ci (or npm install), without --omit=optional; or set CHAIN_RPC_URL to a running chain with id 31337',
    );
  },

  async prepare(log: Log) {
    // anvil refuses to start on a state file it cannot parse (e.g. cut short by a kill during the
    // write on stop); keep the file for a look and start on an empty chain.
    if (!existsSync(STATE_FILE)) return;
    try {
      JSON.parse(readFileSync(STATE_FILE, 'utf8'));
    } catch (err) {
      const aside = `${STATE_FILE}.unreadable-${Date.now()}`;
      renameSync(STATE_FILE, aside);
      log(`state file unreadable (${(err as Error).message}); moved to ${aside}, starting an empty chain`);
    }
  },

  async launch() {
    const bin = anvilPath();
    if (!bin) throw new Error('anvil is not installed (run: npm ci)');
    ensureDir(stateDir('chain'));
    return spawnDaemon('chain', bin, [
      '--host', '127.0.0.1',
      '--port', String(PORTS.chain),
      '--chain-id', String(LOCAL_CHAIN.chainId),
      // Its accounts are unlocked and it answers cheat calls (anvil_setBalance, anvil_setCode): no
      // CORS headers, so a web page in the developer's browser cannot drive it (anvil takes only
      // application/json, which a page can send cross-origin only after a CORS preflight).
      '--no-cors',
      // Loaded at start when present, written on SIGTERM (stop); see the header.
      '--state', STATE_FILE,
      // Not --quiet: it would also drop the lines the log is read for (each transaction's hash,
      // contract created, gas used, revert reason). The cost is one line per RPC call.
    ]);
  },

  probe: (e: Endpoints) => probeChain(e.chainRpcUrl),

  async afterReady(e: Endpoints, log: Log) {
    const r = await ensureLocalToken(e.chainRpcUrl);
    if (r.deployed) log(`deployed ${LOCAL_CHAIN.tokenSymbol} at ${r.address}`);
  },
};

/** One JSON-RPC call with fetch; throws on a transport failure or an error answer. */
async function rpc(rpcUrl: string, method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`${method} on ${rpcUrl}: HTTP ${res.status}`);
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(`${method} on ${rpcUrl}: ${body.error.message ?? JSON.stringify(body.error)}`);
  return body.result;
}

/** True when rpcUrl answers eth_chainId with 31337. Never throws. */
export async function probeChain(rpcUrl: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const id = await rpc(rpcUrl, 'eth_chainId', [], timeoutMs);
    return typeof id === 'string' && id.toLowerCase() === CHAIN_ID_HEX;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The local token. Checks go through plain fetch; viem (~0.5 s to load) is loaded only to send a
// transaction, so a start or reuse that finds the token in place does not pay for it.

const MINT_ABI = [
  {
    type: 'function',
    name: 'mint',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'to', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [],
  },
] as const;

const RPC_TIMEOUT_MS = 10_000;

/** Throws LocalChainError unless rpcUrl is chain 31337: nothing is ever sent to another chain. */
async function assertLocalChain(rpcUrl: string): Promise<void> {
  const id = Number(await rpc(rpcUrl, 'eth_chainId', [], RPC_TIMEOUT_MS));
  if (id !== LOCAL_CHAIN.chainId) throw new LocalChainError(`${rpcUrl} is chain ${id}, not the local chain ${LOCAL_CHAIN.chainId}: nothing is deployed or sent there`);
}

async function hasCode(rpcUrl: string, address: Address): Promise<boolean> {
  const code = await rpc(rpcUrl, 'eth_getCode', [address, 'latest'], RPC_TIMEOUT_MS);
  return typeof code === 'string' && code !== '0x';
}

async function clients(rpcUrl: string) {
  const viem = await import('viem');
  const { privateKeyToAccount } = await import('viem/accounts');
  const chain = viem.defineChain({
    id: LOCAL_CHAIN.chainId,
    name: 'Local chain (anvil)',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = viem.http(rpcUrl, { timeout: RPC_TIMEOUT_MS });
  const account = privateKeyToAccount(LOCAL_CHAIN.deployerKey);
  // Automine: a receipt exists as soon as the send returns, so poll every 50 ms, not viem's 4 s.
  return {
    account,
    pub: viem.createPublicClient({ chain, transport, pollingInterval: 50 }),
    wallet: viem.createWalletClient({ chain, transport, account, pollingInterval: 50 }),
    test: viem.createTestClient({ chain, transport, mode: 'anvil', pollingInterval: 50 }),
  };
}

type PublicClient = Awaited<ReturnType<typeof clients>>['pub'];

/** Waits for a transaction's receipt; throws unless it succeeded. */
async function confirmed(pub: PublicClient, hash: Hash, what: string) {
  const receipt = await pub.waitForTransactionReceipt({ hash, timeout: 30_000 });
  if (receipt.status !== 'success') throw new LocalChainError(`${what} reverted (transaction ${hash}, block ${receipt.blockNumber})`);
  return receipt;
}

/**
 * Sends a deployer transaction. viem reads the deployer's nonce, signs, then sends; two sends
 * between one read and the next would take the same nonce. So this process sends one at a time,
 * and a send that lost the nonce to another process (jest workers and the local runtime share the
 * deployer) is made again with a fresh one.
 */
let deployerQueue: Promise<unknown> = Promise.resolve();
function sendAsDeployer<T>(send: () => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        const lostNonce = /nonce too low|nonce provided for the transaction is lower|already known|already imported|replacement transaction underpriced/i.test((err as Error).message);
        if (!lostNonce || attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * attempt));
      }
    }
  };
  const next = deployerQueue.then(run, run);
  deployerQueue = next.catch(() => undefined);
  return next;
}

/**
 * Deploys the local token (LOCAL_CHAIN.tokenAddress) unless code is already there. Idempotent:
 * safe on every start, on a reused chain and on an external one (CHAIN_RPC_URL), which must be
 * chain 31337. Throws LocalChainError on another chain, when the deployer's first nonce was spent
 * on something else (nothing can then ever be deployed at that address on this chain), or when the
 * deployment reverts.
 */
export async function ensureLocalToken(rpcUrl: string): Promise<{ address: `0x${string}`; deployed: boolean }> {
  const address = LOCAL_CHAIN.tokenAddress;
  await assertLocalChain(rpcUrl);
  if (await hasCode(rpcUrl, address)) return { address, deployed: false };

  const { account, pub, wallet } = await clients(rpcUrl);
  const nonce = await pub.getTransactionCount({ address: account.address });
  if (nonce > 0) {
    throw new LocalChainError(
      `no local token at ${address} on ${rpcUrl}, but its deployer ${account.address} has already sent ${nonce} transaction(s): ` +
        `the deployer is for the token alone. Start from an empty chain (locally: npm run engines -- stop chain, delete ${STATE_FILE}, start again)`,
    );
  }
  const artifactPath = require.resolve('@openzeppelin/contracts/build/contracts/ERC20PresetMinterPauser.json');
  const artifact = JSON.parse(readFileSync(artifactPath, 'utf8')) as { abi: Abi; bytecode: Hex };
  let hash: Hash;
  try {
    hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [LOCAL_CHAIN.tokenName, LOCAL_CHAIN.tokenSymbol] });
  } catch (err) {
    // Another process sent the same deployment first (same nonce): its token is the one we want.
    if (await hasCode(rpcUrl, address)) return { address, deployed: false };
    throw err;
  }
  const receipt = await confirmed(pub, hash, `deploying ${LOCAL_CHAIN.tokenSymbol}`);
  if (receipt.contractAddress?.toLowerCase() !== address.toLowerCase()) {
    throw new LocalChainError(`${LOCAL_CHAIN.tokenSymbol} was deployed at ${receipt.contractAddress}, not at ${address}`);
  }
  return { address, deployed: true };
}

/** Mints `amount` (in the token's smallest unit) to `to` from the deployer; resolves once mined, with the transaction hash. */
export async function mintLocalToken(rpcUrl: string, to: `0x${string}`, amount: bigint): Promise<`0x${string}`> {
  await assertLocalChain(rpcUrl);
  const { pub, wallet } = await clients(rpcUrl);
  const hash = await sendAsDeployer(() => wallet.writeContract({ address: LOCAL_CHAIN.tokenAddress, abi: MINT_ABI, functionName: 'mint', args: [to, amount] }));
  await confirmed(pub, hash, `minting ${amount} to ${to}`);
  return hash;
}

/** Sets `address`'s ether balance to `wei` (anvil_setBalance: sets, does not add), e.g. so a fresh account can pay gas. */
export async function fundLocalAccount(rpcUrl: string, address: `0x${string}`, wei: bigint): Promise<void> {
  await assertLocalChain(rpcUrl);
  const { test } = await clients(rpcUrl);
  await test.setBalance({ address, value: wei });
}
