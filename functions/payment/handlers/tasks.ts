import { z } from 'zod';
import { countMetric } from '../../shared/powertools';
import { loadConfig } from '../../shared/config';
import { taskHandler } from '../../shared/saga-task';
import { ResilientPaymentProvider } from '../adapters/resilient-provider';
import { SandboxPaymentProvider } from '../adapters/sandbox-provider';
import { AuthorizeInput, CaptureInput, RefundInput, type AuthorizeInputT } from '../domain/schemas';
import { authorizePayment, capturePayment, refundPayment } from '../use-cases/payments';

const num = (d: number) => z.coerce.number().int().nonnegative().default(d);
const config = loadConfig(
  z.object({
    PAYMENT_PROVIDER: z.enum(['sandbox']).default('sandbox'),
    PAYMENT_PROVIDER_TIMEOUT_MS: num(2000),
    PAYMENT_PROVIDER_ATTEMPTS: num(3),
    PAYMENT_BREAKER_THRESHOLD: num(5),
    PAYMENT_BREAKER_HALF_OPEN_MS: num(10_000),
    SANDBOX_TIMEOUT_CARD_DELAY_MS: num(30_000),
    SANDBOX_LATENCY_MS: num(0),
  }),
);

/** Made once per cold start: the provider and its breaker state live as long as the instance. */
export const provider = new ResilientPaymentProvider(new SandboxPaymentProvider({ timeoutCardDelayMs: config.SANDBOX_TIMEOUT_CARD_DELAY_MS, latencyMs: config.SANDBOX_LATENCY_MS }), {
  timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
  attempts: config.PAYMENT_PROVIDER_ATTEMPTS,
  breakerThreshold: config.PAYMENT_BREAKER_THRESHOLD,
  halfOpenAfterMs: config.PAYMENT_BREAKER_HALF_OPEN_MS,
});
/** A crypto payment to pay back by hand: counted (Shop/CryptoRefundsDue, alarmed) beside its CryptoRefundDue event. */
const onCryptoRefundDue = (): void => countMetric('CryptoRefundsDue');
const deps = { provider, onCryptoRefundDue };

/** PaymentTasks: AuthorizePayment, CapturePayment, RefundPayment (refund or void) states. */
export const handler = taskHandler('payment', {
  authorize: { schema: AuthorizeInput, run: (i: AuthorizeInputT) => authorizePayment(deps, i) },
  capture: { schema: CaptureInput, run: (i: { orderId: string }) => capturePayment(deps, i) },
  refund: { schema: RefundInput, run: (i: { orderId: string }) => refundPayment(deps, i) },
});
