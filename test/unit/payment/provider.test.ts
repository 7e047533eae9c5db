import { ResilientPaymentProvider } from '../../../functions/payment/adapters/resilient-provider';
import { SANDBOX_CARDS, SandboxPaymentProvider, luhnValid } from '../../../functions/payment/adapters/sandbox-provider';
import { PaymentDeclinedError } from '../../../functions/payment/domain/errors';
import type { PaymentProvider } from '../../../functions/payment/domain/provider';
import { TransientError } from '../../../functions/shared/errors';

const req = (paymentToken: string, idempotencyKey = 'o1:payment.authorize') => ({ idempotencyKey, amountCents: 1000, currency: 'EUR', paymentToken });

describe('sandbox payment provider', () => {
  const sandbox = new SandboxPaymentProvider({ timeoutCardDelayMs: 50 });

  it('approves the approve cards and any other Luhn-valid number, deterministically per idempotency key', async () => {
    const a = await sandbox.authorize(req(SANDBOX_CARDS.approve));
    expect(a.authorizationId).toMatch(/^auth_[0-9a-f]{24}_4242$/);
    expect(await sandbox.authorize(req(SANDBOX_CARDS.approve))).toEqual(a);
    expect((await sandbox.authorize(req(SANDBOX_CARDS.approve, 'o2:payment.authorize'))).authorizationId).not.toBe(a.authorizationId);
    await expect(sandbox.authorize(req(SANDBOX_CARDS.approveMastercard))).resolves.toBeDefined();
    await expect(sandbox.authorize(req('4012888888881881'))).resolves.toBeDefined();
  });

  it('throws PaymentDeclinedError for the decline cards and non-card tokens', async () => {
    await expect(sandbox.authorize(req(SANDBOX_CARDS.decline))).rejects.toMatchObject({ name: 'PaymentDeclinedError', declineCode: 'card_declined' });
    await expect(sandbox.authorize(req(SANDBOX_CARDS.insufficientFunds))).rejects.toMatchObject({ declineCode: 'insufficient_funds' });
    await expect(sandbox.authorize(req('4242424242424241'))).rejects.toMatchObject({ declineCode: 'invalid_number' });
    await expect(sandbox.authorize(req('tok_visa'))).rejects.toBeInstanceOf(PaymentDeclinedError);
  });

  it('throws PaymentDeclinedError on the capture of the capture-decline card after approving its authorization', async () => {
    const a = await sandbox.authorize(req(SANDBOX_CARDS.captureDecline));
    await expect(sandbox.capture({ idempotencyKey: 'o1:payment.capture', authorizationId: a.authorizationId, amountCents: 1000 })).rejects.toMatchObject({ name: 'PaymentDeclinedError' });
  });

  it('validates Luhn check digits', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424243')).toBe(false);
    expect(luhnValid('42')).toBe(false);
  });
});

/** A provider whose answers are scripted per call. */
class Scripted implements PaymentProvider {
  readonly name = 'scripted';
  calls = 0;
  constructor(private readonly script: Array<'ok' | 'fail' | 'decline' | 'hang'>) {}
  private async next(signal?: AbortSignal) {
    const step = this.script[Math.min(this.calls, this.script.length - 1)];
    this.calls++;
    if (step === 'fail') throw new Error('connection reset');
    if (step === 'decline') throw new PaymentDeclinedError('card_declined');
    if (step === 'hang') await new Promise((_, rej) => signal?.addEventListener('abort', () => rej(new Error('aborted'))));
  }
  async authorize(_r: unknown, s?: AbortSignal) {
    await this.next(s);
    return { authorizationId: 'auth_1' };
  }
  async capture(_r: unknown, s?: AbortSignal) {
    await this.next(s);
    return { captureId: 'cap_1' };
  }
  async void(_r: unknown, s?: AbortSignal) {
    await this.next(s);
    return { voidId: 'void_1', voided: true };
  }
  async refund(_r: unknown, s?: AbortSignal) {
    await this.next(s);
    return { refundId: 'ref_1' };
  }
}

describe('resilient payment provider (cockatiel)', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2, timeoutMs: 30 };

  it('retries a failing call with backoff and returns the later success', async () => {
    const inner = new Scripted(['fail', 'fail', 'ok']);
    const p = new ResilientPaymentProvider(inner, { ...fast, attempts: 3 });
    await expect(p.authorize(req('x'))).resolves.toEqual({ authorizationId: 'auth_1' });
    expect(inner.calls).toBe(3);
  });

  it('throws TransientError naming the time-out after the attempts run out', async () => {
    const inner = new Scripted(['hang']);
    const p = new ResilientPaymentProvider(inner, { ...fast, attempts: 2 });
    const err = await p.authorize(req('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toBe('payment provider authorize timed out after 30 ms');
    expect(inner.calls).toBe(2);
  });

  it('neither retries nor counts a decline', async () => {
    const inner = new Scripted(['decline']);
    const p = new ResilientPaymentProvider(inner, { ...fast, attempts: 3, breakerThreshold: 1 });
    await expect(p.authorize(req('x'))).rejects.toBeInstanceOf(PaymentDeclinedError);
    await expect(p.authorize(req('x'))).rejects.toBeInstanceOf(PaymentDeclinedError);
    expect(inner.calls).toBe(2);
  });

  it('throws TransientError without calling the provider once the circuit is open', async () => {
    const inner = new Scripted(['fail']);
    const p = new ResilientPaymentProvider(inner, { ...fast, attempts: 1, breakerThreshold: 2, halfOpenAfterMs: 60_000 });
    await expect(p.capture({ idempotencyKey: 'k', authorizationId: 'a', amountCents: 1 })).rejects.toThrow('capture failed: connection reset');
    await expect(p.capture({ idempotencyKey: 'k', authorizationId: 'a', amountCents: 1 })).rejects.toThrow('capture failed');
    const calls = inner.calls;
    const err = await p.capture({ idempotencyKey: 'k', authorizationId: 'a', amountCents: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/circuit open/);
    expect(inner.calls).toBe(calls);
  });
});
