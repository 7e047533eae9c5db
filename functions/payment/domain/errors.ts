import { ConflictError, UnprocessableError } from '../../shared/errors';

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
