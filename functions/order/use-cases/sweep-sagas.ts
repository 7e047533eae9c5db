import { logger } from '../../shared/powertools';
import { claimUnsettledOrders, hasRecordedSteps, orderStatus, recordSagaRestart, sagaInputOf } from '../adapters/pg-orders';
import type { SagaExecutions } from '../domain/saga-starter';
import { isTerminal } from '../domain/schemas';
import { compensationError, executionName, failedCompensating, sweepAction } from '../domain/sweeper';

export interface SweepConfig {
  /** Orders whose last change (and last sweep) is older than this are looked at. */
  readonly minAgeSeconds: number;
  /** At most this many orders per run, besides the stuck ones' quota. */
  readonly batchSize: number;
  /**
   * At most this many orders whose restarts are used up per run (reported stuck, in turn), on top of
   * `batchSize`; default a tenth of it, at least 1. Their own quota: they never take a slot from an
   * order the sweeper can still drive, and SagaStuck fires on every run that finds one due.
   */
  readonly stuckBatchSize?: number;
  /** Executions the sweeper may start after the first one ended; then the order is reported stuck. */
  readonly maxRestarts: number;
}

export interface SweepDeps {
  readonly executions: SagaExecutions;
  readonly onStarted?: (orderId: string, name: string) => void;
  readonly onStuck?: (orderId: string, restarts: number) => void;
}

export interface SweepReport {
  readonly checked: number;
  /** Order ids by outcome. */
  readonly running: string[];
  /** No execution had ever started: started under the order id. */
  readonly started: string[];
  /** The latest execution had ended with the order still not terminal: a new one started. */
  readonly restarted: string[];
  /** Restarts exhausted: logged as an error and counted in SagaStuck. */
  readonly stuck: string[];
  /** Terminal by the time the sweeper looked again (its execution had just finished). */
  readonly settled: string[];
  /** The sweeper could not handle it this run (e.g. Step Functions unreachable); tried again next run. */
  readonly failed: string[];
}

const CONCURRENCY = 8;

/**
 * OrderSagaSweeper: every accepted order reaches a terminal state. Claims the orders still PENDING,
 * CONFIRMING or CANCELLING after `minAgeSeconds` (a saga that never started: order-created dead-lettered or lost;
 * an execution that ended without settling the order: CompensationFailed, aborted, timed out, lost
 * with a local runtime; the stuck ones in a quota of their own, see claimUnsettledOrders) and, for
 * each, asks Step Functions about its latest execution (see domain/sweeper.ts). One order's failure
 * never stops the others.
 */
export async function sweepSagas(deps: SweepDeps, cfg: SweepConfig): Promise<SweepReport> {
  const stuckLimit = cfg.stuckBatchSize ?? Math.max(1, Math.ceil(cfg.batchSize / 10));
  const candidates = await claimUnsettledOrders(cfg.minAgeSeconds, cfg.batchSize, { maxRestarts: cfg.maxRestarts, stuckLimit });
  const report: SweepReport = { checked: candidates.length, running: [], started: [], restarted: [], stuck: [], settled: [], failed: [] };

  const handle = async (c: (typeof candidates)[number]): Promise<void> => {
    const latestName = executionName(c.id, c.sagaRestarts);
    const latest = await deps.executions.describe(latestName);
    // A CONFIRMED order is claimed only for a refund that began and was never recorded: terminal, but
    // its compensations are due (compensationError), by a restart (sweepAction).
    const refundUnfinished = c.status === 'CONFIRMED';
    const action = sweepAction(c, latest, cfg.maxRestarts);
    if (action.kind === 'leave') return void report.running.push(c.id);
    if (action.kind !== 'start' && !refundUnfinished) {
      // The execution has ended: it may have settled the order since the claim.
      const now = await orderStatus(c.id);
      if (!now || isTerminal(now)) return void report.settled.push(c.id);
    }
    if (action.kind === 'stuck') {
      logger.error('saga stuck: the order is not terminal and its restarts are exhausted', { orderId: c.id, status: c.status, restarts: action.restarts, execution: latestName });
      deps.onStuck?.(c.id, action.restarts);
      return void report.stuck.push(c.id);
    }
    const order = await sagaInputOf(c.id);
    if (!order) return void report.settled.push(c.id);
    // Straight to the compensations when the saga had decided to undo the order (the customer
    // cancelled; or the latest execution failed while compensating, CompensationFailed): the ASL's
    // first state sends an input that carries `error` to RefundPayment, so nothing is reserved,
    // authorized, captured or confirmed again. Otherwise the done steps replay (domain/sweeper.ts).
    const error = compensationError(c, latest, latestName, failedCompensating(latest) ? await hasRecordedSteps(c.id) : true);
    const input = error ? { ...order, error } : order;
    const out = await deps.executions.start(action.name, input);
    if (action.kind === 'restart') {
      await recordSagaRestart(c.id, c.sagaRestarts);
      logger.warn('saga restarted: its execution ended with the order not terminal', { orderId: c.id, status: c.status, previous: latestName, previousStatus: latest?.status, previousError: latest?.error, execution: action.name, restarts: action.restarts, compensateOnly: error?.Error, alreadyStarted: !out.started });
      report.restarted.push(c.id);
    } else {
      logger.warn('saga started by the sweeper: the order had no execution', { orderId: c.id, status: c.status, execution: action.name, compensateOnly: error?.Error, alreadyStarted: !out.started });
      report.started.push(c.id);
    }
    deps.onStarted?.(c.id, action.name);
  };

  for (let i = 0; i < candidates.length; i += CONCURRENCY) {
    await Promise.all(
      candidates.slice(i, i + CONCURRENCY).map((c) =>
        handle(c).catch((err: Error) => {
          logger.error('saga sweeper: order not handled this run', { orderId: c.id, errorType: err.name, errorMessage: err.message });
          report.failed.push(c.id);
        }),
      ),
    );
  }
  return report;
}
