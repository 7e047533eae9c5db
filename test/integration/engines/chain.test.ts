/**
 * The local chain (anvil) over real JSON-RPC with viem: chain id 31337; the local token is in place,
 * reads as an ERC-20 and moves with a Transfer log; its deployment is idempotent and lands at
 * LOCAL_CHAIN.tokenAddress (checked on throw-away anvils of our own, so the shared chain's history
 * cannot interfere); the probe and the token setup refuse another chain.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicClient, createWalletClient, decodeEventLog, http, parseAbi, parseEther, parseUnits, zeroAddress, type Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { anvil } from 'viem/chains';
import { endpoints } from '../../../local/engines/endpoints';
import { LOCAL_CHAIN, LocalChainError, anvilPath, ensureLocalToken, fundLocalAccount, mintLocalToken, probeChain } from '../../../local/engines/chain';

jest.setTimeout(30_000);

const rpcUrl = endpoints().chainRpcUrl;
const erc20 = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function balanceOf(address owner) view returns (uint256)',
  'function transfer(address to, uint256 value) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);
const deployer = privateKeyToAccount(LOCAL_CHAIN.deployerKey).address;
const client = (url: string) => createPublicClient({ chain: anvil, transport: http(url), pollingInterval: 50 });

/** The token's Transfer events in a receipt's logs, decoded. */
function transfers(logs: ReadonlyArray<{ address: Address; data: `0x${string}`; topics: [`0x${string}`, ...`0x${string}`[]] | [] }>) {
  return logs
    .filter((l) => l.address.toLowerCase() === LOCAL_CHAIN.tokenAddress.toLowerCase())
    .map((l) => decodeEventLog({ abi: erc20, eventName: 'Transfer', data: l.data, topics: l.topics }).args);
}

describe('chain (anvil, the running engine)', () => {
  const pub = client(rpcUrl);

  it('answers eth_chainId with 31337', async () => {
    expect(await pub.getChainId()).toBe(31337);
    expect(await probeChain(rpcUrl)).toBe(true);
  });

  it('has the local token in place (the start deployed it): ensureLocalToken deploys nothing', async () => {
    // The deployer's nonce is not compared here: other test files may mint meanwhile, and each mint
    // is a deployer transaction. The exact count is checked on a chain of this file's own below.
    expect(await ensureLocalToken(rpcUrl)).toEqual({ address: LOCAL_CHAIN.tokenAddress, deployed: false });
    expect(await pub.getCode({ address: LOCAL_CHAIN.tokenAddress })).toMatch(/^0x[0-9a-f]{100,}$/);
  });

  it('reads name, symbol and decimals through a plain ERC-20 ABI', async () => {
    const read = <F extends 'name' | 'symbol' | 'decimals'>(functionName: F) => pub.readContract({ address: LOCAL_CHAIN.tokenAddress, abi: erc20, functionName });
    expect(await read('name')).toBe(LOCAL_CHAIN.tokenName);
    expect(await read('symbol')).toBe(LOCAL_CHAIN.tokenSymbol);
    expect(await read('decimals')).toBe(LOCAL_CHAIN.tokenDecimals);
  });

  it('mints to a fresh account, whose transfer to the payee emits Transfer(from, to, value)', async () => {
    const payer = privateKeyToAccount(generatePrivateKey());
    const wallet = createWalletClient({ chain: anvil, transport: http(rpcUrl), account: payer });
    const balance = (owner: Address) => pub.readContract({ address: LOCAL_CHAIN.tokenAddress, abi: erc20, functionName: 'balanceOf', args: [owner] });
    await fundLocalAccount(rpcUrl, payer.address, parseEther('1')); // gas
    expect(await pub.getBalance({ address: payer.address })).toBe(parseEther('1'));

    const minted = await pub.getTransactionReceipt({ hash: await mintLocalToken(rpcUrl, payer.address, parseUnits('100', 18)) });
    expect(minted.status).toBe('success');
    expect(transfers(minted.logs)).toEqual([{ from: zeroAddress, to: payer.address, value: parseUnits('100', 18) }]);
    expect(await balance(payer.address)).toBe(parseUnits('100', 18));

    const payeeBefore = await balance(LOCAL_CHAIN.payeeAddress);
    const hash = await wallet.writeContract({ address: LOCAL_CHAIN.tokenAddress, abi: erc20, functionName: 'transfer', args: [LOCAL_CHAIN.payeeAddress, parseUnits('25', 18)] });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(transfers(receipt.logs)).toEqual([{ from: payer.address, to: LOCAL_CHAIN.payeeAddress, value: parseUnits('25', 18) }]);
    expect(await balance(payer.address)).toBe(parseUnits('75', 18));
    expect((await balance(LOCAL_CHAIN.payeeAddress)) - payeeBefore).toBe(parseUnits('25', 18));
  });
});

// ---------------------------------------------------------------------------------------------
// Throw-away chains: the same anvil binary on a port the system picks, each with an empty chain.

const spawned: ChildProcess[] = [];
afterAll(() => {
  for (const p of spawned) if (p.exitCode === null) p.kill('SIGTERM');
});

/** Starts an anvil of this file's own; resolves with its URL once it listens. */
function throwAwayAnvil(chainId: number): Promise<string> {
  const bin = anvilPath();
  if (!bin) throw new Error('anvil is missing from node_modules (npm ci installs it)');
  const p = spawn(bin, ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId), '--no-cors'], { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /Listening on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(`http://${m[1]}`);
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('error', reject);
    p.on('exit', (code) => reject(new Error(`anvil exited with ${code}:\n${out}`)));
  });
}

describe('chain: the local token on an empty chain (a throw-away anvil)', () => {
  it('deploys the token at LOCAL_CHAIN.tokenAddress once: a second call sends nothing', async () => {
    const url = await throwAwayAnvil(LOCAL_CHAIN.chainId);
    const pub = client(url);
    expect(await pub.getCode({ address: LOCAL_CHAIN.tokenAddress })).toBeUndefined();

    expect(await ensureLocalToken(url)).toEqual({ address: LOCAL_CHAIN.tokenAddress, deployed: true });
    expect(await pub.getTransactionCount({ address: deployer })).toBe(1);
    const block = await pub.getBlockNumber();

    expect(await ensureLocalToken(url)).toEqual({ address: LOCAL_CHAIN.tokenAddress, deployed: false });
    expect(await pub.getTransactionCount({ address: deployer })).toBe(1);
    expect(await pub.getBlockNumber()).toBe(block);
    expect(await pub.readContract({ address: LOCAL_CHAIN.tokenAddress, abi: erc20, functionName: 'symbol' })).toBe(LOCAL_CHAIN.tokenSymbol);
  });

  it('throws when the deployer has already sent a transaction and the token is not there', async () => {
    const url = await throwAwayAnvil(LOCAL_CHAIN.chainId);
    // anvil's dev accounts are unlocked: a plain transfer from the deployer spends its nonce 0.
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendTransaction', params: [{ from: deployer, to: LOCAL_CHAIN.payeeAddress, value: '0x1' }] }),
    });
    expect(await client(url).getTransactionCount({ address: deployer })).toBe(1);
    const err = await ensureLocalToken(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalChainError);
    expect((err as Error).message).toContain(`no local token at ${LOCAL_CHAIN.tokenAddress}`);
    expect((err as Error).message).toContain(`its deployer ${deployer} has already sent 1 transaction(s)`);
    expect(await client(url).getCode({ address: LOCAL_CHAIN.tokenAddress })).toBeUndefined();
  });

  it('refuses a chain with another id: the probe says no, nothing is deployed or minted', async () => {
    const url = await throwAwayAnvil(1);
    expect(await probeChain(url)).toBe(false);
    await expect(ensureLocalToken(url)).rejects.toThrow(new LocalChainError(`${url} is chain 1, not the local chain 31337: nothing is deployed or sent there`));
    await expect(mintLocalToken(url, LOCAL_CHAIN.payeeAddress, 1n)).rejects.toBeInstanceOf(LocalChainError);
    expect(await client(url).getTransactionCount({ address: deployer })).toBe(0);
  });
});

describe('chain probe (a tiny HTTP server in place of the node)', () => {
  let server: Server;
  let url: string;
  /** What the server answers to eth_chainId next. */
  let answer: (res: import('node:http').ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });

  const json = (body: unknown) => (res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('is true for 0x7a69 (31337) and false for any other chain id', async () => {
    answer = json({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    expect(await probeChain(url)).toBe(true);
    answer = json({ jsonrpc: '2.0', id: 1, result: '0x1' });
    expect(await probeChain(url)).toBe(false);
    answer = json({ jsonrpc: '2.0', id: 1, result: '0x539' }); // 1337
    expect(await probeChain(url)).toBe(false);
  });

  it('is false, without throwing, for an error answer, a non-JSON body, an HTTP error, silence and a closed port', async () => {
    answer = json({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } });
    expect(await probeChain(url)).toBe(false);
    answer = (res) => res.end('<html>not a node</html>');
    expect(await probeChain(url)).toBe(false);
    answer = (res) => {
      res.writeHead(503);
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x7a69' }));
    };
    expect(await probeChain(url)).toBe(false);
    answer = () => undefined; // never answers
    expect(await probeChain(url, 200)).toBe(false);
    expect(await probeChain('http://127.0.0.1:9')).toBe(false); // discard port: nothing listens
  });
});
