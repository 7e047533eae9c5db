import { ConflictError, DomainError, UnprocessableError } from '../../shared/errors';

/** The provider refused the card (not retryable). `declineCode` is the provider's reason. */
export class PaymentDeclinedError extends UnprocessableError {
  constructor(readonly declineCode: string, message = `payment declined: ${declineCode}`) {
    super(message);
    this.name = 'PaymentDeclinedError';
  }
}

/** Capture asked for an order that has no authorization. */
export class PaymentNotAuthorizedError extends ConflictError {
  constructor(readonly orderId: string) {
    super(`order ${orderId} has no payment authorization`, 'PAYMENT_NOT_AUTHORIZED');
    this.name = 'PaymentNotAuthorizedError';
  }
}

/** The order's payment was already refunded/voided: a late authorize is voided at once and fails. */
export class PaymentCompensatedError extends ConflictError {
  constructor(readonly orderId: string) {
    super(`payment of order ${orderId} was already compensated`, 'PAYMENT_COMPENSATED');
    this.name = 'PaymentCompensatedError';
  }
}

/** Authorize asked for an order that has finished (CONFIRMED or CANCELLED): its payment token is no longer kept. */
export class PaymentTokenGoneError extends ConflictError {
  constructor(readonly orderId: string) {
    super(`order ${orderId} has finished and keeps no payment token; nothing to authorize`, 'PAYMENT_TOKEN_GONE');
    this.name = 'PaymentTokenGoneError';
  }
}

/**
 * A crypto order whose on-chain payment is not verified yet (POST /web3/payments/verify). The state
 * machine retries AuthorizePayment on it for the payment window (its own retrier), then compensates.
 */
export class CryptoPaymentPendingError extends DomainError {
  constructor(readonly orderId: string) {
    super(`order ${orderId} is paid in crypto and its payment is not verified yet`, 'CRYPTO_PAYMENT_PENDING');
    this.name = 'CryptoPaymentPendingError';
  }
}

/** The verified crypto payment does not cover the order (never expected: the verification compares the same total). */
export class CryptoPaymentMismatchError extends DomainError {
  constructor(readonly orderId: string, why: string) {
    super(`order ${orderId}: the verified crypto payment ${why}`, 'CRYPTO_PAYMENT_MISMATCH');
    this.name = 'CryptoPaymentMismatchError';
  }
}

/** A crypto order cancelled by its customer while the saga waited for its payment: the wait ends (the Catch compensates). */
export class CryptoOrderCancelledError extends DomainError {
  constructor(readonly orderId: string) {
    super(`order ${orderId} was cancelled by the customer while its crypto payment was awaited`, 'CRYPTO_ORDER_CANCELLED');
    this.name = 'CryptoOrderCancelledError';
  }
}
