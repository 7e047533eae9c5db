import { OrderCancelledByCustomerError, OrderNotCancellableError, OrderNotPendingError, SagaAlreadyCompensatedError } from './errors';
import type { OrderStatus } from './schemas';

/**
 * The order's life cycle decisions, pure (the use cases apply them under the per-order lock).
 *
 *   PENDING --BeginConfirmation (saga pivot)--> CONFIRMING --ConfirmOrder--> CONFIRMED
 *   PENDING --customer cancel--> CANCELLING (CancelledByCustomer; the saga's pivot then fails and compensates)
 *   PENDING | CONFIRMING | CONFIRMED | CANCELLING --CancelOrder (saga, after its compensations)--> CANCELLED
 */
export const CUSTOMER_CANCELLED = 'CancelledByCustomer';
/** Steps whose record means the saga compensated (payment refunded/voided, or its refund begun; stock released). */
export const COMPENSATION_STEPS = ['payment.refund', 'payment.refund-begun', 'inventory.release'] as const;

export interface OrderState {
  readonly id: string;
  readonly status: OrderStatus;
  readonly cancelError: string | null;
}

/**
 * The saga's pivot, before any capture: 'move' = PENDING -> CONFIRMING; 'already' = the order is past
 * the pivot (CONFIRMING/CONFIRMED: a repeated call). Throws OrderCancelledByCustomerError when the
 * customer cancelled first, SagaAlreadyCompensatedError when this order's saga already compensated
 * (a restarted execution must not confirm it), OrderNotPendingError for any other cancelled order.
 */
export function beginConfirmation(o: OrderState, doneSteps: ReadonlySet<string> | ReadonlyMap<string, unknown>): 'move' | 'already' {
  if (o.status === 'CANCELLING' || o.status === 'CANCELLED') {
    if (o.cancelError === CUSTOMER_CANCELLED) throw new OrderCancelledByCustomerError(o.id);
    throw new OrderNotPendingError(o.id, o.status);
  }
  const compensated = COMPENSATION_STEPS.filter((s) => doneSteps.has(s));
  if (compensated.length > 0) throw new SagaAlreadyCompensatedError(o.id, compensated);
  return o.status === 'PENDING' ? 'move' : 'already';
}

/**
 * POST /orders/{id}/cancel: 'cancel' = PENDING -> CANCELLING (CancelledByCustomer); 'same' = already
 * CANCELLING or CANCELLED (answer the same). Past the pivot (CONFIRMING: the payment is being
 * captured) or CONFIRMED, OrderNotCancellableError (409) naming the status.
 */
export function customerCancel(o: OrderState): 'cancel' | 'same' {
  switch (o.status) {
    case 'PENDING':
      return 'cancel';
    case 'CANCELLING':
    case 'CANCELLED':
      return 'same';
    case 'CONFIRMING':
    case 'CONFIRMED':
      throw new OrderNotCancellableError(o.id, o.status);
    default: {
      const never: never = o.status;
      throw new Error(`unknown order status ${String(never)}`);
    }
  }
}
