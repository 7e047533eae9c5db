/**
 * `npm run web3:demo`: a crypto order's whole path through a running `npm start`, the way a dapp does
 * it, printed step by step:
 *   a fresh wallet gets gas and 100 of the local stablecoin -> POST /web3/nonce -> the wallet signs the
 *   SIWE message -> POST /web3/verify (a session) -> an admin restocks a SKU -> POST /orders
 *   {paymentMethod: crypto} -> the wallet sends the order's total to the shop's wallet on chain ->
 *   POST /web3/payments/verify (again while 409 ORDER_NOT_READY) -> GET /orders/{id} until CONFIRMED.
 * GATEWAY_URL (default http://localhost:3000) and CHAIN_RPC_URL point it elsewhere.
 */
import { createPublicClient, createWalletClient, formatUnits, http, parseAbi, parseUnits } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { createSiweMessage } from 'viem/siwe';
import { signToken } from '../../functions/shared/auth';
import { LOCAL_CHAIN, ensureLocalToken, fundLocalAccount, mintLocalToken } from '../../local/engines/chain';
import { endpoints } from '../../local/engines/endpoints';
import { DEV_JWT_SECRET } from '../../local/runtime/env';

type Say = (line: string) => void;

async function call(gateway: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gateway}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
async function ok(gateway: string, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const r = await call(gateway, method, path, body, token);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the walk-through; returns the order's id and final view. */
export async function runDemo(gateway: string, rpcUrl: string, say: Say, timeoutMs = 60_000): Promise<{ orderId: string; order: any; txHash: string }> {
  await ensureLocalToken(rpcUrl);
  const wallet = privateKeyToAccount(generatePrivateKey());
  await fundLocalAccount(rpcUrl, wallet.address, parseUnits('1', 18));
  await mintLocalToken(rpcUrl, wallet.address, parseUnits('100', LOCAL_CHAIN.tokenDecimals));
  say(`1. wallet ${wallet.address}: 1 ETH for gas, 100 ${LOCAL_CHAIN.tokenSymbol}`);

  const n = await ok(gateway, 'POST', '/web3/nonce');
  const message = createSiweMessage({ address: wallet.address, chainId: n.chainId, domain: n.domain, nonce: n.nonce, uri: `http://${n.domain}/`, version: '1', issuedAt: new Date(), statement: 'Sign in to the shop' });
  const session = await ok(gateway, 'POST', '/web3/verify', { message, signature: await wallet.signMessage({ message }) });
  say(`2. signed in with Ethereum: user ${session.userId} (new account: ${session.created})`);

  const admin = await signToken({ userId: 'web3-demo-admin', roles: ['customer', 'admin'] }, { secret: process.env.JWT_SECRET ?? DEV_JWT_SECRET, expiresIn: '10m' });
  const sku = 'WEB3-DEMO-MUG';
  await ok(gateway, 'POST', `/inventory/${sku}/restock`, { quantity: 10, priceCents: 1450 }, admin);
  const placed = await ok(gateway, 'POST', '/orders', { items: [{ sku, quantity: 2 }], paymentMethod: 'crypto' }, session.token);
  const view = await ok(gateway, 'GET', `/orders/${placed.orderId}`, undefined, session.token);
  say(`3. order ${placed.orderId}: ${view.amountCents / 100} ${view.currency}, ${view.status}, paid in ${view.paymentMethod}`);

  const units = parseUnits(String(view.amountCents), LOCAL_CHAIN.tokenDecimals - 2);
  const w = createWalletClient({ account: wallet, chain: foundry, transport: http(rpcUrl) });
  const txHash = await w.writeContract({ address: LOCAL_CHAIN.tokenAddress, abi: parseAbi(['function transfer(address to, uint256 value) returns (bool)']), functionName: 'transfer', args: [LOCAL_CHAIN.payeeAddress, units] });
  await createPublicClient({ chain: foundry, transport: http(rpcUrl) }).waitForTransactionReceipt({ hash: txHash });
  say(`4. paid ${formatUnits(units, LOCAL_CHAIN.tokenDecimals)} ${LOCAL_CHAIN.tokenSymbol} to the shop's wallet: ${txHash}`);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(gateway, 'POST', '/web3/payments/verify', { orderId: placed.orderId, txHash }, session.token);
    if (r.status === 200) {
      say(`5. payment verified (block ${r.body.blockNumber})`);
      break;
    }
    if (r.body?.error?.code !== 'ORDER_NOT_READY' || Date.now() > deadline) throw new Error(`POST /web3/payments/verify: ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(200); // the saga is still reserving the stock
  }
  for (;;) {
    const order = await ok(gateway, 'GET', `/orders/${placed.orderId}`, undefined, session.token);
    if (order.status === 'CONFIRMED' || order.status === 'CANCELLED') {
      say(`6. order ${order.status}${order.failure ? ` (${order.failure.error})` : ''}`);
      return { orderId: placed.orderId, order, txHash };
    }
    if (Date.now() > deadline) throw new Error(`order ${placed.orderId} still ${order.status}`);
    await sleep(200);
  }
}

if (require.main === module) {
  runDemo(process.env.GATEWAY_URL ?? 'http://localhost:3000', endpoints().chainRpcUrl, (l) => process.stdout.write(`${l}\n`)).catch((err: unknown) => {
    process.stderr.write(`web3 demo: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
