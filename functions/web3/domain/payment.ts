import { decodeEventLog, parseAbi, type Hex } from 'viem';
import { PaymentNotAcceptedError, PaymentNotConfirmedError, PayerNotLinkedError } from './errors';

export const ERC20_ABI = parseAbi([
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'function decimals() view returns (uint8)',
]);

/** The parts of a transaction receipt the check reads (viem's TransactionReceipt has them). */
export interface ReceiptView {
  readonly status: 'success' | 'reverted';
  readonly blockNumber: bigint;
  readonly logs: readonly { readonly address: string; readonly topics: readonly Hex[]; readonly data: Hex }[];
}

export interface PaymentRules {
  readonly chainId: number;
  /** The stablecoin's contract. */
  readonly token: string;
  /** The shop's receiving wallet. */
  readonly payee: string;
  readonly minConfirmations: number;
  /** What the order costs, in the token's base units. */
  readonly requiredUnits: bigint;
  /** Wallets the caller proved to own (lower case). */
  readonly callerWallets: ReadonlySet<string>;
}

export interface AcceptedPayment {
  /** Checksummed, as the log gives it. */
  readonly payer: string;
  readonly amount: bigint;
  readonly blockNumber: bigint;
  readonly confirmations: number;
}

/**
 * Whether a mined transaction pays an order: it succeeded, it has enough confirmations, and it moved
 * at least the order's total of the configured token to the shop's wallet, from wallets the caller
 * signed in with. Only `Transfer` logs emitted by the token's own contract count: any contract can
 * emit an event named Transfer, so one from another address proves nothing.
 *
 * The payer rule is what stops a stranger from claiming a payment: a transaction hash is public the
 * moment it is sent, so without it anyone could submit someone else's payment for their own order.
 */
export function assessPayment(receipt: ReceiptView | undefined, head: bigint, rules: PaymentRules): AcceptedPayment {
  if (!receipt) throw new PaymentNotAcceptedError(`txHash: no such transaction is mined on chain ${rules.chainId} (not mined yet, or sent on another chain)`, 'TX_NOT_FOUND');
  if (receipt.status !== 'success') throw new PaymentNotAcceptedError('txHash: the transaction failed (reverted): it moved no tokens', 'TX_FAILED');
  const token = rules.token.toLowerCase();
  const payee = rules.payee.toLowerCase();
  const transfers: { from: string; value: bigint }[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== token || log.topics.length !== 3) continue;
    let decoded;
    try {
      decoded = decodeEventLog({ abi: ERC20_ABI, eventName: 'Transfer', topics: log.topics as [Hex, ...Hex[]], data: log.data });
    } catch {
      continue; // another event of the token contract
    }
    if (decoded.args.to.toLowerCase() === payee) transfers.push({ from: decoded.args.from, value: decoded.args.value });
  }
  if (transfers.length === 0) throw new PaymentNotAcceptedError(`txHash: the transaction moved none of token ${rules.token} to the shop's wallet ${rules.payee}`, 'NO_PAYMENT_IN_TX');
  const stranger = transfers.find((t) => !rules.callerWallets.has(t.from.toLowerCase()));
  if (stranger) throw new PayerNotLinkedError(stranger.from);
  const amount = transfers.reduce((sum, t) => sum + t.value, 0n);
  if (amount < rules.requiredUnits) throw new PaymentNotAcceptedError(`txHash: the transaction paid ${amount} base units of the token; the order costs ${rules.requiredUnits}`, 'UNDERPAID');
  const confirmations = head >= receipt.blockNumber ? Number(head - receipt.blockNumber + 1n) : 0;
  if (confirmations < rules.minConfirmations) throw new PaymentNotConfirmedError(confirmations, rules.minConfirmations);
  return { payer: transfers[0]!.from, amount, blockNumber: receipt.blockNumber, confirmations };
}

/**
 * An amount in a currency's minor units (cents) as token base units, for a token pegged 1:1 to that
 * currency: 12.34 USD is 1234 cents, 12340000 units of a 6-decimal token (USDC), 12.34e18 of an
 * 18-decimal one (DAI). Rounded up when the token has fewer decimals than the currency.
 */
export function minorUnitsToTokenUnits(minor: bigint, currencyDigits: number, tokenDecimals: number): bigint {
  if (tokenDecimals >= currencyDigits) return minor * 10n ** BigInt(tokenDecimals - currencyDigits);
  const d = 10n ** BigInt(currencyDigits - tokenDecimals);
  return (minor + d - 1n) / d;
}

/** A currency's minor-unit digits (USD 2, JPY 0, BHD 3), as ISO 4217 and Intl know them. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}
