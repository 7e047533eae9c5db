import { ConflictError } from '../../shared/errors';

/** The saga cannot confirm: the order is no longer PENDING (e.g. the customer cancelled it). */
export class OrderNotPendingError extends ConflictError {
  constructor(readonly orderId: string, readonly status: string) {
    super(`order ${orderId} is ${status}, not PENDING`, 'ORDER_NOT_PENDING');
    this.name = 'OrderNotPendingError';
  }
}

/** POST /orders/{id}/cancel on an order that is already CONFIRMED. */
export class OrderNotCancellableError extends ConflictError {
  constructor(readonly orderId: string, readonly status: string) {
    super(`order ${orderId} is ${status} and can no longer be cancelled`, 'ORDER_NOT_CANCELLABLE');
    this.name = 'OrderNotCancellableError';
  }
}

/** The same Idempotency-Key was sent again with a different body. */
export class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('Idempotency-Key was already used with a different request body', 'IDEMPOTENCY_KEY_REUSED');
    this.name = 'IdempotencyKeyReusedError';
  }
}
