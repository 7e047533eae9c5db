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
 * What a mined transaction paid the shop: it succeeded, it has enough confirmations, and it moved the
 * configured token to the shop's wallet, from wallets the caller signed in with (the amount is then
 * weighed against the order by `dispose`). Only `Transfer` logs emitted by the token's own contract count: any contract can
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
  const confirmations = head >= receipt.blockNumber ? Number(head - receipt.blockNumber + 1n) : 0;
  if (confirmations < rules.minConfirmations) throw new PaymentNotConfirmedError(confirmations, rules.minConfirmations);
  return { payer: transfers[0]!.from, amount, blockNumber: receipt.blockNumber, confirmations };
}

/** What the order's row says when the payment is about to be recorded (read under the order's payment lock). */
export interface OrderAtPayment {
  readonly paymentMethod: string;
  readonly status: string;
  /** The saga's reservation is recorded: from then on every way the saga fails passes RefundPayment. */
  readonly reserved: boolean;
  /** RefundPayment began (or finished) for the order. */
  readonly refundStarted: boolean;
  /** The transaction of a payment that already pays the order. */
  readonly paidBy: string | undefined;
}

export type Disposition =
  /** The payment pays the order: the saga's AuthorizePayment takes it. */
  | { readonly kind: 'order' }
  /** Not yet: the saga has not reserved the order's stock. Nothing is recorded; the same request later decides. */
  | { readonly kind: 'wait' }
  /** The money is the caller's and the order cannot take it: recorded and announced for a payout. */
  | { readonly kind: 'refund'; readonly code: 'ORDER_NOT_PAYABLE' | 'ORDER_ALREADY_PAID' | 'UNDERPAID'; readonly reason: string };

/**
 * Where a verified payment from the caller's wallet goes. Every payment the chain shows the shop
 * received from the caller ends either paying its order or announced for a refund, never refused
 * without a trace: a refusal here would leave the money in the shop's wallet with no record of whose
 * it is.
 *
 * `wait` exists because of the saga's first step: ReserveInventory's failures (out of stock, an
 * unknown SKU) cancel the order without passing RefundPayment, so a payment recorded before the
 * reservation would be neither used nor given back.
 */
export function dispose(order: OrderAtPayment, amount: bigint, requiredUnits: bigint): Disposition {
  if (order.paymentMethod !== 'crypto') return { kind: 'refund', code: 'ORDER_NOT_PAYABLE', reason: `the order is paid by ${order.paymentMethod}, not in crypto` };
  if (order.paidBy !== undefined) return { kind: 'refund', code: 'ORDER_ALREADY_PAID', reason: `the order is already paid by transaction ${order.paidBy}` };
  if (order.status !== 'PENDING') return { kind: 'refund', code: 'ORDER_NOT_PAYABLE', reason: `the order is ${order.status} and takes no payment` };
  if (order.refundStarted) return { kind: 'refund', code: 'ORDER_NOT_PAYABLE', reason: 'the order is being compensated (its payment window ran out, or a step failed)' };
  if (amount < requiredUnits) return { kind: 'refund', code: 'UNDERPAID', reason: `the transaction paid ${amount} base units of the token; the order costs ${requiredUnits}` };
  if (!order.reserved) return { kind: 'wait' };
  return { kind: 'order' };
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
