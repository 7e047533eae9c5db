import type { SagaExecutionStatus } from './saga-starter';

/**
 * The OrderSagaSweeper's decision for one order that is still PENDING, CONFIRMING or CANCELLING after the
 * threshold, pure. The first execution is named by the order id (as the SagaStarter names it); the
 * sweeper's restarts are `${orderId}-r1`, `-r2`, ... (a Step Functions name is never reused), and
 * every task is idempotent on (orderId, step), so a restarted execution replays the steps already done.
 *
 *   latest execution RUNNING (or waiting for a redrive)  -> leave it
 *   no execution at all, never restarted                 -> start `${orderId}` (the saga never started)
 *   ended (any status) or gone, restarts < max           -> start `${orderId}-r${restarts + 1}`
 *   ended or gone, restarts >= max                       -> stuck: log an error, emit SagaStuck (alarm)
 */
export const executionName = (orderId: string, restarts: number): string => (restarts === 0 ? orderId : `${orderId}-r${restarts}`);

export type SweepAction = { kind: 'leave' } | { kind: 'start'; name: string } | { kind: 'restart'; name: string; restarts: number } | { kind: 'stuck'; restarts: number };

export function sweepAction(order: { id: string; sagaRestarts: number }, latest: { status: SagaExecutionStatus } | undefined, maxRestarts: number): SweepAction {
  if (latest && (latest.status === 'RUNNING' || latest.status === 'PENDING_REDRIVE')) return { kind: 'leave' };
  if (!latest && order.sagaRestarts === 0) return { kind: 'start', name: executionName(order.id, 0) };
  if (order.sagaRestarts >= maxRestarts) return { kind: 'stuck', restarts: order.sagaRestarts };
  return { kind: 'restart', name: executionName(order.id, order.sagaRestarts + 1), restarts: order.sagaRestarts + 1 };
}
