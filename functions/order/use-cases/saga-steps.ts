import { withTransaction } from '../../shared/adapters/pg';
import { NotFoundError, TransientError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import { runStepOnce } from '../../shared/idempotency';
import { publishPendingForKey } from '../../shared/outbox';
import type { Caller } from '../../shared/http';
import { beginConfirmationNormalStatement, beginConfirmationStatement, confirmNormalStatement, confirmStatement, lockOrder, lockOrderStatement, setStatus, type OrderRow } from '../adapters/pg-orders';
import { OrderNotConfirmingError } from '../domain/errors';
import { beginConfirmation as pivot, COMPENSATION_STEPS, customerCancel, CUSTOMER_CANCELLED } from '../domain/lifecycle';
import { ORDER_EVENT_SOURCE, type OrderStatus } from '../domain/schemas';

export { CUSTOMER_CANCELLED } from '../domain/lifecycle';
export const BEGIN_CONFIRMATION_STEP = 'order.begin-confirmation';
export const CONFIRM_STEP = 'order.confirm';
export const CANCEL_STEP = 'order.cancel';

export interface SagaStepDeps {
  readonly onSucceeded?: (orderId: string) => void;
  readonly onFailed?: (orderId: string, error: string) => void;
}

/**
 * The saga's pivot (BeginConfirmation), before CapturePayment: PENDING -> CONFIRMING under the
 * per-order lock (the order's advisory lock and its row lock, which a customer cancel also takes;
 * the move goes in the round trip that takes them, see beginConfirmationStatement);
 * idempotent on (order id, begin-confirmation). From CONFIRMING on a customer cancel is refused, so
 * no order is captured after its customer cancelled it. Throws OrderCancelledByCustomerError when the
 * customer cancelled first (the saga then voids, releases and cancels, keeping the customer's reason).
 */
export async function beginConfirmation(input: { orderId: string }): Promise<{ status: OrderStatus }> {
  // The normal path (a PENDING order, no compensation recorded), in one round trip (see runStepOnce).
  const normal = { body: beginConfirmationNormalStatement(input.orderId), conflicts: [...COMPENSATION_STEPS], result: { status: 'CONFIRMING' as OrderStatus } };
  const step = { ns: 'order' as const, orderId: input.orderId, step: BEGIN_CONFIRMATION_STEP, body: beginConfirmationStatement(input.orderId), normal };
  const { result } = await runStepOnce<{ status: OrderStatus }, { id: string; status: OrderStatus; cancel_error: string | null; moved: number }>(step, async ({ rows, done }) => {
    const o = rows[0];
    if (!o) throw new NotFoundError(`order ${input.orderId} not found`);
    // The body already moved a PENDING order; a refusal here (throw) rolls that back.
    const decision = pivot({ id: o.id, status: o.status, cancelError: o.cancel_error }, done);
    if (decision === 'move' && o.moved !== 1) throw new Error(`order ${o.id}: PENDING but not moved to CONFIRMING`);
    return decision === 'move' ? normal.result : { status: o.status };
  });
  return result;
}

const orderCompleted = (o: { id: string; userId: string; amountCents: number; currency: string }) => ({
  topic: 'order-completed',
  key: o.id,
  event: envelope({ type: 'OrderCompleted', source: ORDER_EVENT_SOURCE, orderId: o.id, data: { orderId: o.id, userId: o.userId, amountCents: o.amountCents, currency: o.currency } }),
});

/**
 * CONFIRMING -> CONFIRMED with the OrderCompleted outbox row, one transaction; idempotent on (order id, confirm).
 * Given the order's user, amount and currency (the saga's input carries them), the normal path runs
 * in one round trip, its statement checking them against the order (see confirmNormalStatement).
 */
export async function confirmOrder(deps: SagaStepDeps, input: { orderId: string; userId?: string | undefined; amountCents?: number | undefined; currency?: string | undefined }): Promise<{ status: OrderStatus }> {
  const confirmed = { status: 'CONFIRMED' as OrderStatus };
  const given = input.userId !== undefined && input.amountCents !== undefined && input.currency !== undefined ? { id: input.orderId, userId: input.userId, amountCents: input.amountCents, currency: input.currency } : undefined;
  const normal = given && { body: confirmNormalStatement(given), result: confirmed, outbox: [orderCompleted(given)] };
  const { result, replayed } = await runStepOnce<{ status: OrderStatus }, OrderRow>({ ns: 'order', orderId: input.orderId, step: CONFIRM_STEP, body: confirmStatement(input.orderId), ...(normal ? { normal } : {}) }, async ({ tx, rows, enqueue }) => {
    const o = rows[0];
    if (!o) {
      const now = await lockOrder(tx, input.orderId);
      if (!now) throw new NotFoundError(`order ${input.orderId} not found`);
      throw new OrderNotConfirmingError(now.id, now.status);
    }
    enqueue(orderCompleted({ id: o.id, userId: o.user_id, amountCents: Number(o.amount_cents), currency: o.currency.trim() }));
    return confirmed;
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
 * CONFIRMING (the capture failed after the pivot) is cancelled, and one found CONFIRMED is cancelled too: the saga only gets here after refunding and releasing, so a confirmed
 * order without money must not stay confirmed (ConfirmOrder committed but its answer was lost).
 */
export async function cancelOrderForSaga(deps: SagaStepDeps, input: { orderId: string; reason?: { Error: string; Cause?: unknown } | undefined }): Promise<{ status: OrderStatus; error: string }> {
  const { result, replayed } = await runStepOnce<{ status: OrderStatus; error: string }, OrderRow>({ ns: 'order', orderId: input.orderId, step: CANCEL_STEP, body: lockOrderStatement(input.orderId) }, async ({ tx, rows, enqueue }) => {
    const o = rows[0];
    if (!o) throw new NotFoundError(`order ${input.orderId} not found`);
    let reason = { error: input.reason?.Error ?? 'Unknown', cause: readableCause(input.reason?.Cause) };
    if ((o.status === 'CANCELLED' || o.status === 'CANCELLING') && o.cancel_error) {
      reason = { error: o.cancel_error, cause: o.cancel_cause ?? '' }; // the customer's reason stays
      if (o.status === 'CANCELLING') await setStatus(tx, o.id, 'CANCELLED');
    } else await setStatus(tx, o.id, 'CANCELLED', reason);
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
 * POST /orders/{id}/cancel: a PENDING order of the caller becomes CANCELLING (reason
 * CancelledByCustomer) under the order's row lock; the running saga then stops at its pivot
 * (BeginConfirmation), before any capture, voids/releases, and CancelOrder makes it CANCELLED. A
 * CANCELLING order whose saga died is driven there by the sweeper. Cancelling a cancelled order
 * answers its status; a CONFIRMING order (payment being captured) or a CONFIRMED one is a 409 naming the status.
 */
export async function cancelByCustomer(caller: Caller, orderId: string): Promise<{ orderId: string; status: OrderStatus }> {
  return withTransaction(async (tx) => {
    const o = await lockOrder(tx, orderId);
    if (!o || o.user_id !== caller.userId) throw new NotFoundError(`order ${orderId} not found`);
    if (customerCancel({ id: o.id, status: o.status, cancelError: o.cancel_error }) === 'cancel') {
      await setStatus(tx, o.id, 'CANCELLING', { error: CUSTOMER_CANCELLED, cause: `cancelled by ${caller.userId}` });
      return { orderId: o.id, status: 'CANCELLING' as OrderStatus };
    }
    return { orderId: o.id, status: o.status };
  });
}
