import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { TransientError } from '../../shared/errors';
import { PaymentDeclinedError } from '../domain/errors';
import type { PaymentProvider } from '../domain/provider';

/**
 * Wraps a provider in cockatiel policies: per-attempt timeout, retries with exponential backoff,
 * and a circuit breaker over consecutive failures. Declines are answers, not failures: they are
 * neither retried nor counted by the breaker. What still fails comes out as TransientError (the
 * state machine retries it with its own backoff, then compensates).
 */
export interface ResilienceOptions {
  /** Per-attempt timeout. @default 2000 */
  readonly timeoutMs?: number;
  /** Attempts in total (1 = no retry). @default 3 */
  readonly attempts?: number;
  /** First backoff delay. @default 50 */
  readonly initialDelayMs?: number;
  /** @default 1000 */
  readonly maxDelayMs?: number;
  /** Consecutive failures that open the circuit. @default 5 */
  readonly breakerThreshold?: number;
  /** How long the circuit stays open before a trial call. @default 10000 */
  readonly halfOpenAfterMs?: number;
}

const isFailure = (e: Error) => !(e instanceof PaymentDeclinedError);

export class ResilientPaymentProvider implements PaymentProvider {
  readonly name: string;
  readonly breaker;
  private readonly policy: IPolicy;
  private readonly timeoutMs: number;

  constructor(private readonly inner: PaymentProvider, opts: ResilienceOptions = {}) {
    this.name = `resilient(${inner.name})`;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    const attempts = Math.max(1, opts.attempts ?? 3);
    this.breaker = circuitBreaker(handleWhen(isFailure), {
      halfOpenAfter: opts.halfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(opts.breakerThreshold ?? 5),
    });
    const retryPolicy = retry(handleWhen((e) => isFailure(e) && !(e instanceof BrokenCircuitError)), {
      maxAttempts: attempts - 1,
      backoff: new ExponentialBackoff({ initialDelay: opts.initialDelayMs ?? 50, maxDelay: opts.maxDelayMs ?? 1000 }),
    });
    // retry( breaker( timeout( call ) ) ): each attempt has its own timeout and is seen by the breaker.
    this.policy = wrap(retryPolicy, this.breaker, timeout(this.timeoutMs, TimeoutStrategy.Aggressive));
  }

  private async call<T>(op: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return (await this.policy.execute(({ signal }) => fn(signal))) as T;
    } catch (err) {
      if (err instanceof PaymentDeclinedError) throw err;
      if (err instanceof BrokenCircuitError) throw new TransientError(`payment provider ${op}: circuit open after repeated failures`);
      if (err instanceof TaskCancelledError) throw new TransientError(`payment provider ${op} timed out after ${this.timeoutMs} ms`);
      throw new TransientError(`payment provider ${op} failed: ${(err as Error).message}`);
    }
  }

  authorize(req: Parameters<PaymentProvider['authorize']>[0]) {
    return this.call('authorize', (s) => this.inner.authorize(req, s));
  }
  capture(req: Parameters<PaymentProvider['capture']>[0]) {
    return this.call('capture', (s) => this.inner.capture(req, s));
  }
  void(req: Parameters<PaymentProvider['void']>[0]) {
    return this.call('void', (s) => this.inner.void(req, s));
  }
  refund(req: Parameters<PaymentProvider['refund']>[0]) {
    return this.call('refund', (s) => this.inner.refund(req, s));
  }
}
