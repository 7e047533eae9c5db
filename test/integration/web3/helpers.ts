/**
 * Wallets for the web3 tests: viem accounts that sign and pay like a browser wallet, on the local
 * chain (anvil) with its stablecoin.
 */
import { createPublicClient, createWalletClient, http, parseUnits, type Hex, type PrivateKeyAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { createSiweMessage } from 'viem/siwe';
import { endpoints } from '../../../local/engines/endpoints';
import { LOCAL_CHAIN, fundLocalAccount, mintLocalToken } from '../../../local/engines/chain';
import { ERC20_ABI } from '../../../functions/web3/domain/payment';

export const rpcUrl = endpoints().chainRpcUrl;
const transport = http(rpcUrl);
export const chainClient = createPublicClient({ chain: foundry, transport });
const TRANSFER_ABI = [...ERC20_ABI, { type: 'function', name: 'transfer', stateMutability: 'nonpayable', inputs: [{ name: 'to', type: 'address' }, { name: 'value', type: 'uint256' }], outputs: [{ type: 'bool' }] }] as const;

/** A new wallet with gas money and `tokens` of the local stablecoin. */
export async function wallet(tokens = '100'): Promise<PrivateKeyAccount> {
  const a = privateKeyToAccount(generatePrivateKey());
  await fundLocalAccount(rpcUrl, a.address, parseUnits('1', 18));
  if (tokens !== '0') await mintLocalToken(rpcUrl, a.address, parseUnits(tokens, LOCAL_CHAIN.tokenDecimals));
  return a;
}

export interface Res {
  status: number;
  body: any;
}
export async function call(baseUrl: string, method: string, path: string, opts: { body?: unknown; token?: string; authorization?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization) headers.authorization = opts.authorization;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The SIWE message a dapp builds from POST /web3/nonce's answer. */
export async function siweMessage(baseUrl: string, a: PrivateKeyAccount, over: Partial<Parameters<typeof createSiweMessage>[0]> = {}): Promise<string> {
  const n = await call(baseUrl, 'POST', '/web3/nonce');
  if (n.status !== 200) throw new Error(`POST /web3/nonce: ${n.status} ${JSON.stringify(n.body)}`);
  return createSiweMessage({ address: a.address, chainId: n.body.chainId, domain: n.body.domain, nonce: n.body.nonce, uri: `http://${n.body.domain}/`, version: '1', issuedAt: new Date(), statement: 'Sign in to the shop', ...over });
}

export async function signIn(baseUrl: string, a: PrivateKeyAccount): Promise<{ token: string; userId: string; created: boolean; address: string }> {
  const message = await siweMessage(baseUrl, a);
  const r = await call(baseUrl, 'POST', '/web3/verify', { body: { message, signature: await a.signMessage({ message }) } });
  if (r.status !== 200) throw new Error(`POST /web3/verify: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Sends `amount` of the local stablecoin from the wallet (to the shop by default); returns the mined transaction's hash. */
export async function pay(a: PrivateKeyAccount, amount: string, to: Hex = LOCAL_CHAIN.payeeAddress, opts: { gas?: bigint } = {}): Promise<Hex> {
  const w = createWalletClient({ account: a, chain: foundry, transport });
  const hash = await w.writeContract({ address: LOCAL_CHAIN.tokenAddress, abi: TRANSFER_ABI, functionName: 'transfer', args: [to, parseUnits(amount, LOCAL_CHAIN.tokenDecimals)], ...opts });
  await chainClient.waitForTransactionReceipt({ hash });
  return hash;
}
