/**
 * The payment provider port. Every call carries an idempotency key: the provider answers the same
 * for the same key, so a retried or duplicated call never charges twice. Declines throw
 * PaymentDeclinedError; anything else that fails is treated as transient by the resilience layer.
 */
export interface AuthorizeRequest {
  readonly idempotencyKey: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly paymentToken: string;
}
export interface PaymentProvider {
  readonly name: string;
  authorize(req: AuthorizeRequest, signal?: AbortSignal): Promise<{ authorizationId: string }>;
  capture(req: { idempotencyKey: string; authorizationId: string; amountCents: number }, signal?: AbortSignal): Promise<{ captureId: string }>;
  /**
   * Voids an authorization. Without an authorizationId it voids whatever the provider authorized
   * under `authorizeKey` (the outcome of a timed-out authorize is unknown); a no-op when nothing was.
   */
  void(req: { idempotencyKey: string; authorizationId?: string; authorizeKey: string }, signal?: AbortSignal): Promise<{ voidId: string; voided: boolean }>;
  refund(req: { idempotencyKey: string; captureId: string; amountCents: number }, signal?: AbortSignal): Promise<{ refundId: string }>;
}
