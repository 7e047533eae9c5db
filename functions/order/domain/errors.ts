import { ConflictError } from '../../shared/errors';

/** The saga's pivot found the order no longer PENDING for a reason other than the customer (e.g. already cancelled by the saga). */
export class OrderNotPendingError extends ConflictError {
  constructor(readonly orderId: string, readonly status: string) {
    super(`order ${orderId} is ${status}, not PENDING`, 'ORDER_NOT_PENDING');
    this.name = 'OrderNotPendingError';
  }
}

/**
 * The saga's pivot (BeginConfirmation) found the order cancelled by its customer: nothing was
 * captured, the saga voids the authorization, releases the stock and keeps the customer's reason.
 */
export class OrderCancelledByCustomerError extends ConflictError {
  constructor(readonly orderId: string) {
    super(`order ${orderId} was cancelled by the customer before its payment was captured`, 'ORDER_CANCELLED_BY_CUSTOMER');
    this.name = 'OrderCancelledByCustomerError';
  }
}

/** The saga's pivot found compensations already recorded for the order (a restarted execution of a compensated saga). */
export class SagaAlreadyCompensatedError extends ConflictError {
  constructor(readonly orderId: string, readonly steps: readonly string[]) {
    super(`order ${orderId}: the saga already compensated (${steps.join(', ')}); it cannot be confirmed`, 'SAGA_ALREADY_COMPENSATED');
    this.name = 'SagaAlreadyCompensatedError';
  }
}

/** ConfirmOrder found the order not CONFIRMING (the pivot did not run, or the order was cancelled). */
export class OrderNotConfirmingError extends ConflictError {
  constructor(readonly orderId: string, readonly status: string) {
    super(`order ${orderId} is ${status}, not CONFIRMING`, 'ORDER_NOT_CONFIRMING');
    this.name = 'OrderNotConfirmingError';
  }
}

/** POST /orders/{id}/cancel on an order past the pivot (CONFIRMING: payment being captured) or CONFIRMED. */
export class OrderNotCancellableError extends ConflictError {
  constructor(readonly orderId: string, readonly status: string) {
    super(
      status === 'CONFIRMING'
        ? `order ${orderId} is CONFIRMING: its payment is being captured, too late to cancel`
        : `order ${orderId} is ${status} and can no longer be cancelled`,
      'ORDER_NOT_CANCELLABLE',
    );
    this.name = 'OrderNotCancellableError';
  }
}
