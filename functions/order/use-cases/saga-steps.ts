import { withTransaction } from '../../shared/adapters/pg';
import { NotFoundError, TransientError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import { runStepOnce } from '../../shared/idempotency';
import { publishPendingForKey } from '../../shared/outbox';
import type { Caller } from '../../shared/http';
import { confirmIfPending, lockOrder, setStatus } from '../adapters/pg-orders';
import { OrderNotCancellableError, OrderNotPendingError } from '../domain/errors';
import { ORDER_EVENT_SOURCE, type OrderStatus } from '../domain/schemas';

export const CONFIRM_STEP = 'order.confirm';
export const CANCEL_STEP = 'order.cancel';
export const CUSTOMER_CANCELLED = 'CancelledByCustomer';

export interface SagaStepDeps {
  readonly onSucceeded?: (orderId: string) => void;
  readonly onFailed?: (orderId: string, error: string) => void;
}

/** PENDING -> CONFIRMED with the OrderCompleted outbox row, one transaction; idempotent on (order id, confirm). */
export async function confirmOrder(deps: SagaStepDeps, input: { orderId: string }): Promise<{ status: OrderStatus }> {
  const { result, replayed } = await runStepOnce({ ns: 'order', orderId: input.orderId, step: CONFIRM_STEP }, async ({ tx, enqueue }) => {
    const o = await confirmIfPending(tx, input.orderId);
    if (!o) {
      const now = await lockOrder(tx, input.orderId);
      if (!now) throw new NotFoundError(`order ${input.orderId} not found`);
      throw new OrderNotPendingError(now.id, now.status);
    }
    enqueue({ topic: 'order-completed', key: o.id, event: envelope({ type: 'OrderCompleted', source: ORDER_EVENT_SOURCE, orderId: o.id, data: { orderId: o.id, userId: o.user_id, amountCents: Number(o.amount_cents), currency: o.currency.trim() } }) });
    return { status: 'CONFIRMED' as OrderStatus };
  });
  if (!replayed) deps.onSucceeded?.(input.orderId);
  return result;
}

/** Step Functions gives a Lambda error's Cause as its JSON error payload; keep the readable message. */
export function readableCause(cause: unknown): string {
  if (cause == null) return '';
  if (typeof cause !== 'string') return JSON.stringify(cause).slice(0, 2000);
  try {
    const v = JSON.parse(cause) as { errorMessage?: unknown };
    if (v && typeof v === 'object' && typeof v.errorMessage === 'string') return v.errorMessage.slice(0, 2000);
  } catch {
    /* plain text */
  }
  return cause.slice(0, 2000);
}

/**
 * The saga's CancelOrder: the order becomes CANCELLED with the error that caused the compensation
 * (its name and cause), and the OrderFailed outbox row is written, one transaction; idempotent on
 * (order id, cancel). An order the customer cancelled keeps the customer's reason. An order found
 * CONFIRMED is cancelled too: the saga only gets here after refunding and releasing, so a confirmed
 * order without money must not stay confirmed (ConfirmOrder committed but its answer was lost).
 */
export async function cancelOrderForSaga(deps: SagaStepDeps, input: { orderId: string; reason?: { Error: string; Cause?: unknown } | undefined }): Promise<{ status: OrderStatus; error: string }> {
  const { result, replayed } = await runStepOnce({ ns: 'order', orderId: input.orderId, step: CANCEL_STEP }, async ({ tx, enqueue }) => {
    const o = await lockOrder(tx, input.orderId);
    if (!o) throw new NotFoundError(`order ${input.orderId} not found`);
    let reason = { error: input.reason?.Error ?? 'Unknown', cause: readableCause(input.reason?.Cause) };
    if (o.status === 'CANCELLED' && o.cancel_error) reason = { error: o.cancel_error, cause: o.cancel_cause ?? '' };
    else await setStatus(tx, o.id, 'CANCELLED', reason);
    enqueue({ topic: 'order-failed', key: o.id, event: envelope({ type: 'OrderFailed', source: ORDER_EVENT_SOURCE, orderId: o.id, data: { orderId: o.id, userId: o.user_id, error: reason.error, cause: reason.cause } }) });
    return { status: 'CANCELLED' as OrderStatus, error: reason.error };
  });
  if (!replayed) deps.onFailed?.(input.orderId, result.error);
  return result;
}

/** The saga's publish steps: sends the order's pending outbox rows (its own and its inventory/payment events). */
export async function publishOrderEvents(input: { orderId: string; eventBusName?: string | undefined }): Promise<{ published: number }> {
  try {
    return { published: await publishPendingForKey(input.orderId, input.eventBusName ? { eventBusName: input.eventBusName } : {}) };
  } catch (err) {
    throw new TransientError(`publishing events of order ${input.orderId} failed: ${(err as Error).message}`);
  }
}

/**
 * POST /orders/{id}/cancel: a PENDING order of the caller becomes CANCELLED (reason
 * CancelledByCustomer); the running saga then fails to confirm and compensates. Cancelling a
 * cancelled order answers the same; a CONFIRMED order is a 409.
 */
export async function cancelByCustomer(caller: Caller, orderId: string): Promise<{ orderId: string; status: OrderStatus }> {
  return withTransaction(async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!o || o.user_id !== caller.userId) throw new NotFoundError(`order ${orderId} not found`);
    if (o.status === 'CONFIRMED') throw new OrderNotCancellableError(o.id, o.status);
    if (o.status === 'PENDING') await setStatus(tx, o.id, 'CANCELLED', { error: CUSTOMER_CANCELLED, cause: `cancelled by ${caller.userId}` });
    return { orderId: o.id, status: 'CANCELLED' };
  });
}
