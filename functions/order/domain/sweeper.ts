import type { SagaError, SagaExecution } from './saga-starter';
import type { OrderStatus } from './schemas';

/**
 * The OrderSagaSweeper's decision for one order that is still PENDING, CONFIRMING or CANCELLING after the
 * threshold, pure. The first execution is named by the order id (as the SagaStarter names it); the
 * sweeper's restarts are `${orderId}-r1`, `-r2`, ... (a Step Functions name is never reused), and
 * every task is idempotent on (orderId, step), so a restarted execution replays the steps already done.
 *
 *   latest execution RUNNING (or waiting for a redrive)  -> leave it
 *   no execution at all, never restarted, not CONFIRMED  -> start `${orderId}` (the saga never started)
 *   ended (any status) or gone, restarts < max           -> start `${orderId}-r${restarts + 1}`
 *   ended or gone, restarts >= max                       -> stuck: log an error, emit SagaStuck (alarm)
 *
 * Whether the new execution goes forward or runs only the compensations: `compensationError` below.
 */
export const executionName = (orderId: string, restarts: number): string => (restarts === 0 ? orderId : `${orderId}-r${restarts}`);

export type SweepAction = { kind: 'leave' } | { kind: 'start'; name: string } | { kind: 'restart'; name: string; restarts: number } | { kind: 'stuck'; restarts: number };

export function sweepAction(order: { id: string; sagaRestarts: number; status?: OrderStatus }, latest: { status: SagaExecution['status'] } | undefined, maxRestarts: number): SweepAction {
  if (latest && (latest.status === 'RUNNING' || latest.status === 'PENDING_REDRIVE')) return { kind: 'leave' };
  // A CONFIRMED order (claimed for an unfinished refund) had an execution under its id: never start
  // one there again, even when it is gone (a local runtime's in-memory executions).
  if (!latest && order.sagaRestarts === 0 && order.status !== 'CONFIRMED') return { kind: 'start', name: executionName(order.id, 0) };
  if (order.sagaRestarts >= maxRestarts) return { kind: 'stuck', restarts: order.sagaRestarts };
  return { kind: 'restart', name: executionName(order.id, order.sagaRestarts + 1), restarts: order.sagaRestarts + 1 };
}

/** The error of the ASL's Fail state, reached only from the compensations (RefundPayment, ReleaseInventory, CancelOrder). */
export const COMPENSATION_FAILED = 'CompensationFailed';
/** The compensation-only restart of a CONFIRMED order whose refund began and was never recorded. */
export const REFUND_UNFINISHED = 'RefundUnfinishedError';

/**
 * The error the sweeper's (re)started execution carries in its input so that the ASL's first state
 * (StartOrCompensate) sends it straight to the compensations, pure; undefined: a normal run (the
 * steps done replay, the rest run).
 *
 *   order CONFIRMED with a refund begun, never recorded (claimed for that)   -> RefundUnfinishedError
 *   order CANCELLING (the customer cancelled; its saga died or never ran)   -> OrderCancelledByCustomerError
 *   latest execution FAILED with CompensationFailed, a step recorded        -> CompensationFailed, with its cause
 *   latest execution FAILED with CompensationFailed, no step recorded       -> undefined: forward (nothing to undo)
 *   latest execution was itself compensation-only (its input had `error`)  -> that error again
 *   otherwise (never started, ended before compensating, gone)              -> undefined: forward
 *
 * CompensationFailed means the saga had decided to undo the order and a compensation ran out of
 * retries (e.g. the database was down), so some of it may have reached the provider without being
 * recorded. Going forward then is wrong: CapturePayment replays its stored result unless a refund is
 * recorded, and ConfirmOrder would confirm an order whose money went back. The compensations are
 * idempotent and undo only what was done. An aborted or timed-out compensation-only restart keeps its
 * error for the same reason (its order is still PENDING or CONFIRMING, nothing else says so).
 *
 * Unless no step of the order is recorded at all (`stepsRecorded` false: e.g. the database was down
 * from the first reserve to the last compensation): then nothing was reserved, authorized or captured
 * that needs undoing, and the order goes forward, as it would have had the outage been shorter. A
 * provider call whose outcome went unrecorded is still safe: the restarted authorize carries the same
 * idempotency key, so the provider answers with that same authorization, voided or not.
 */
/** The latest execution failed while compensating (the ASL's Fail state after a compensation ran out of retries). */
export function failedCompensating(latest: SagaExecution | undefined): boolean {
  return latest?.status === 'FAILED' && latest.error === COMPENSATION_FAILED;
}

export function compensationError(order: { id: string; status: OrderStatus }, latest: SagaExecution | undefined, latestName: string, stepsRecorded = true): SagaError | undefined {
  // Claimed CONFIRMED only for a refund that began and was never recorded (claimUnsettledOrders).
  if (order.status === 'CONFIRMED') return { Error: REFUND_UNFINISHED, Cause: `order ${order.id} is CONFIRMED but its refund began and was never recorded (execution ${latestName} ${latest?.status ?? 'not found'}); the saga sweeper finishes its compensations` };
  if (order.status === 'CANCELLING') return { Error: 'OrderCancelledByCustomerError', Cause: `order ${order.id} was cancelled by the customer; the saga sweeper runs its compensations` };
  if (failedCompensating(latest)) {
    if (!stepsRecorded) return undefined;
    return { Error: COMPENSATION_FAILED, Cause: `execution ${latestName} failed while compensating (${latest?.cause || 'a compensation step failed after its retries'}); the saga sweeper runs its compensations again` };
  }
  return latest?.inputError;
}

/**
 * The `error` an execution's input carried (the ASL's StartOrCompensate then ran only the
 * compensations); undefined when it had none, or the input is missing (over DescribeExecution's size
 * limit) or not JSON.
 */
export function sagaErrorOf(input: string | undefined): SagaError | undefined {
  if (!input) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    return undefined;
  }
  const e = (parsed as { error?: unknown } | null)?.error as { Error?: unknown; Cause?: unknown } | undefined;
  if (!e || typeof e !== 'object' || typeof e.Error !== 'string') return undefined;
  return { Error: e.Error, Cause: typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause ?? '') };
}
