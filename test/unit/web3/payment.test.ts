/**
 * The payment rule (functions/web3/domain/payment.ts) over receipts built with viem's own encoders:
 * what counts as paying an order and what each refusal says.
 */
import { encodeAbiParameters, encodeEventTopics, type Hex } from 'viem';
import { PaymentNotAcceptedError, PaymentNotConfirmedError, PayerNotLinkedError } from '../../../functions/web3/domain/errors';
import { ERC20_ABI, assessPayment, currencyDigits, dispose, minorUnitsToTokenUnits, type OrderAtPayment, type PaymentRules, type ReceiptView } from '../../../functions/web3/domain/payment';

const TOKEN = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
const OTHER_TOKEN = '0x1111111111111111111111111111111111111111';
const PAYEE = '0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f';
const BUYER = '0x052dDda1C23C8014E98b8ded465D656fE9DE9Bcc';
const STRANGER = '0x9999999999999999999999999999999999999999';

function transfer(from: string, to: string, value: bigint, token = TOKEN): ReceiptView['logs'][number] {
  const topics = encodeEventTopics({ abi: ERC20_ABI, eventName: 'Transfer', args: { from: from as Hex, to: to as Hex } }) as Hex[];
  return { address: token, topics, data: encodeAbiParameters([{ type: 'uint256' }], [value]) };
}
const receipt = (logs: ReceiptView['logs'], status: ReceiptView['status'] = 'success', blockNumber = 100n): ReceiptView => ({ status, blockNumber, logs });
const RULES: PaymentRules = { chainId: 8453, token: TOKEN, payee: PAYEE, minConfirmations: 3, callerWallets: new Set([BUYER.toLowerCase()]) };

function refusal(fn: () => unknown): Error & { code: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('expected a refusal');
}

describe('assessPayment', () => {
  it('accepts a transfer of at least the total from a wallet of the caller, with enough confirmations', () => {
    expect(assessPayment(receipt([transfer(BUYER, PAYEE, 12_340_000n)]), 102n, RULES)).toEqual({ payer: BUYER, amount: 12_340_000n, blockNumber: 100n, confirmations: 3 });
  });

  it('adds up several transfers to the shop in one transaction, and ignores transfers elsewhere', () => {
    const r = receipt([transfer(BUYER, PAYEE, 10_000_000n), transfer(BUYER, STRANGER, 99_000_000n), transfer(BUYER, PAYEE, 2_340_000n)]);
    expect(assessPayment(r, 200n, RULES).amount).toBe(12_340_000n);
  });

  it('counts only the configured token contract: a Transfer event from another contract proves nothing', () => {
    const e = refusal(() => assessPayment(receipt([transfer(BUYER, PAYEE, 50_000_000n, OTHER_TOKEN)]), 200n, RULES));
    expect(e).toBeInstanceOf(PaymentNotAcceptedError);
    expect(e.code).toBe('NO_PAYMENT_IN_TX');
  });

  it('refuses a missing transaction (TX_NOT_FOUND) and a reverted one (TX_FAILED)', () => {
    expect(refusal(() => assessPayment(undefined, 200n, RULES)).code).toBe('TX_NOT_FOUND');
    expect(refusal(() => assessPayment(receipt([transfer(BUYER, PAYEE, 12_340_000n)], 'reverted'), 200n, RULES)).code).toBe('TX_FAILED');
  });

  it('returns what was paid even when it is short of an order (the order is weighed by dispose)', () => {
    expect(assessPayment(receipt([transfer(BUYER, PAYEE, 1n)]), 200n, RULES).amount).toBe(1n);
  });

  it('refuses tokens sent from a wallet the caller has not signed in with (someone else\'s public payment)', () => {
    const e = refusal(() => assessPayment(receipt([transfer(STRANGER, PAYEE, 12_340_000n)]), 200n, RULES));
    expect(e).toBeInstanceOf(PayerNotLinkedError);
    expect(e.message).toContain(STRANGER);
  });

  it('asks to wait while confirmations are short (409 TX_NOT_CONFIRMED with the count)', () => {
    const e = refusal(() => assessPayment(receipt([transfer(BUYER, PAYEE, 12_340_000n)]), 101n, RULES));
    expect(e).toBeInstanceOf(PaymentNotConfirmedError);
    expect((e as PaymentNotConfirmedError).confirmations).toBe(2);
    expect((e as PaymentNotConfirmedError).required).toBe(3);
  });
});

describe('dispose: where a verified payment of the caller goes', () => {
  const waiting: OrderAtPayment = { paymentMethod: 'crypto', status: 'PENDING', reserved: true, refundStarted: false, paidBy: undefined };

  it('pays a PENDING crypto order whose stock is reserved, when it covers the total (to the unit)', () => {
    expect(dispose(waiting, 100n, 100n)).toEqual({ kind: 'order' });
    expect(dispose(waiting, 101n, 100n)).toEqual({ kind: 'order' });
  });

  it('waits, recording nothing, while the saga has not reserved the stock (its failures there skip RefundPayment)', () => {
    expect(dispose({ ...waiting, reserved: false }, 100n, 100n)).toEqual({ kind: 'wait' });
  });

  it('records for a refund, with a reason, every payment the order cannot take', () => {
    const cases: Array<[string, OrderAtPayment, bigint, string, RegExp]> = [
      ['short by one unit', waiting, 99n, 'UNDERPAID', /paid 99 .* costs 100/],
      ['a card order', { ...waiting, paymentMethod: 'card' }, 100n, 'ORDER_NOT_PAYABLE', /paid by card/],
      ['already paid', { ...waiting, paidBy: '0xabc' }, 100n, 'ORDER_ALREADY_PAID', /0xabc/],
      ['cancelled', { ...waiting, status: 'CANCELLED' }, 100n, 'ORDER_NOT_PAYABLE', /CANCELLED/],
      ['cancelling', { ...waiting, status: 'CANCELLING' }, 100n, 'ORDER_NOT_PAYABLE', /CANCELLING/],
      ['confirmed', { ...waiting, status: 'CONFIRMED' }, 100n, 'ORDER_NOT_PAYABLE', /CONFIRMED/],
      ['being compensated', { ...waiting, refundStarted: true }, 100n, 'ORDER_NOT_PAYABLE', /compensated/],
      // A short payment to an order that could not take it anyway: still given back, whatever the reason named.
      ['not reserved yet and short', { ...waiting, reserved: false }, 1n, 'UNDERPAID', /paid 1 /],
    ];
    for (const [what, order, amount, code, reason] of cases) {
      const d = dispose(order, amount, 100n);
      expect([what, d.kind, d.kind === 'refund' ? d.code : '']).toEqual([what, 'refund', code]);
      expect(d.kind === 'refund' && reason.test(d.reason)).toBe(true);
    }
  });
});

describe('amounts', () => {
  it('turns cents into token units for 6- and 18-decimal stablecoins, rounding up for fewer decimals', () => {
    expect(minorUnitsToTokenUnits(1234n, 2, 6)).toBe(12_340_000n);
    expect(minorUnitsToTokenUnits(1234n, 2, 18)).toBe(12_340_000_000_000_000_000n);
    expect(minorUnitsToTokenUnits(1234n, 2, 2)).toBe(1234n);
    expect(minorUnitsToTokenUnits(1235n, 2, 1)).toBe(124n);
  });

  it('knows the currencies\' minor digits', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
  });
});
