import { createHash } from 'node:crypto';
import { PaymentDeclinedError } from '../domain/errors';
import type { AuthorizeRequest, PaymentProvider } from '../domain/provider';

/**
 * The built-in sandbox provider: no network, deterministic and stateless (ids derive from the
 * idempotency key, so the same request answers the same on any instance). Test card numbers
 * (sent as `paymentToken`; see docs/saga.md):
 *
 * | card number        | behaviour                                                          |
 * |--------------------|--------------------------------------------------------------------|
 * | 4242424242424242   | approves                                                           |
 * | 5555555555554444   | approves                                                           |
 * | 4000000000000002   | declines: card_declined                                            |
 * | 4000000000009995   | declines: insufficient_funds                                       |
 * | 4000000000000119   | never answers (the adapter's timeout fires: TransientError)        |
 * | 4000000000000341   | authorizes, then the capture is declined: card_declined            |
 * | other Luhn-valid   | approves                                                           |
 * | anything else      | declines: invalid_number                                           |
 */
export const SANDBOX_CARDS = {
  approve: '4242424242424242',
  approveMastercard: '5555555555554444',
  decline: '4000000000000002',
  insufficientFunds: '4000000000009995',
  timeout: '4000000000000119',
  captureDecline: '4000000000000341',
} as const;

export function luhnValid(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const id = (prefix: string, key: string, suffix = ''): string => `${prefix}_${createHash('sha256').update(key).digest('hex').slice(0, 24)}${suffix}`;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    }, { once: true });
  });
}

export interface SandboxOptions {
  /** How long the time-out card hangs (the adapter's timeout should be much shorter). @default 30000 */
  readonly timeoutCardDelayMs?: number;
  /** Simulated provider latency per call. @default 0 */
  readonly latencyMs?: number;
}

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox';
  /** Calls made, by operation (tests read it to prove retries and idempotency). */
  readonly calls: Array<{ op: string; key: string }> = [];
  /** The operation each idempotency key was first used for (this instance's memory). */
  private readonly keyOps = new Map<string, string>();
  constructor(private readonly opts: SandboxOptions = {}) {}

  /**
   * As real providers do (Stripe answers 400 idempotency_error), a key is bound to the operation it
   * was first used for: the same key for another operation is refused, not answered. Only within
   * one instance (the sandbox keeps no other state), which is where the saga's tests run.
   */
  private bindKey(op: string, key: string): void {
    const first = this.keyOps.get(key);
    if (first === undefined) {
      if (this.keyOps.size >= 100_000) this.keyOps.clear();
      this.keyOps.set(key, op);
    } else if (first !== op) {
      throw new PaymentDeclinedError('idempotency_key_reused', `sandbox: idempotency key ${key} was used for ${first}; ${op} refused`);
    }
  }

  private async latency(signal?: AbortSignal) {
    if (this.opts.latencyMs) await sleep(this.opts.latencyMs, signal);
  }

  async authorize(req: AuthorizeRequest, signal?: AbortSignal) {
    this.calls.push({ op: 'authorize', key: req.idempotencyKey });
    this.bindKey('authorize', req.idempotencyKey);
    await this.latency(signal);
    const card = req.paymentToken.replace(/[\s-]/g, '');
    if (card === SANDBOX_CARDS.timeout) {
      await sleep(this.opts.timeoutCardDelayMs ?? 30_000, signal);
      throw new Error('sandbox: the time-out card answered after its delay');
    }
    if (card === SANDBOX_CARDS.decline) throw new PaymentDeclinedError('card_declined');
    if (card === SANDBOX_CARDS.insufficientFunds) throw new PaymentDeclinedError('insufficient_funds');
    if (!luhnValid(card)) throw new PaymentDeclinedError('invalid_number');
    return { authorizationId: id('auth', req.idempotencyKey, `_${card.slice(-4)}`) };
  }

  async capture(req: { idempotencyKey: string; authorizationId: string; amountCents: number }, signal?: AbortSignal) {
    this.calls.push({ op: 'capture', key: req.idempotencyKey });
    this.bindKey('capture', req.idempotencyKey);
    await this.latency(signal);
    if (req.authorizationId.endsWith(`_${SANDBOX_CARDS.captureDecline.slice(-4)}`)) throw new PaymentDeclinedError('card_declined', 'capture declined: card_declined');
    return { captureId: id('cap', req.idempotencyKey) };
  }

  async void(req: { idempotencyKey: string; authorizationId?: string; authorizeKey: string }, signal?: AbortSignal) {
    this.calls.push({ op: 'void', key: req.idempotencyKey });
    this.bindKey('void', req.idempotencyKey);
    await this.latency(signal);
    // Stateless: an authorization made under authorizeKey would have a deterministic id; voiding one
    // that was never made is a no-op, like a real provider's "nothing to cancel".
    return { voidId: id('void', req.idempotencyKey), voided: req.authorizationId !== undefined };
  }

  async refund(req: { idempotencyKey: string; captureId: string; amountCents: number }, signal?: AbortSignal) {
    this.calls.push({ op: 'refund', key: req.idempotencyKey });
    this.bindKey('refund', req.idempotencyKey);
    await this.latency(signal);
    return { refundId: id('ref', req.idempotencyKey) };
  }
}
