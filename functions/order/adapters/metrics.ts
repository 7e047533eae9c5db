import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../../shared/powertools';

/** Saga metric names (CloudWatch EMF, namespace POWERTOOLS_METRICS_NAMESPACE; listed in docs/saga.md). */
export const SAGA_METRICS = {
  OrdersPlaced: 'OrdersPlaced',
  SagaSucceeded: 'SagaSucceeded',
  SagaFailed: 'SagaFailed',
  /** The sweeper started an execution for an order whose saga never started or whose execution ended unsettled. */
  SagaRestarted: 'SagaRestarted',
  /** The sweeper found an order not terminal after its restarts were exhausted (alarmed). */
  SagaStuck: 'SagaStuck',
} as const;

/**
 * Step-record retention (SagaStepRecordRetention), every run: records deleted, old orders whose
 * records were kept, and how far the watermark is behind the cutoff (0 once caught up; alarmed when it
 * stays above a day, or when no run reports it).
 */
export function reportStepRecordRetention(deleted: number, kept: number, lagHours: number): void {
  metrics.addMetric('StepRecordsDeleted', MetricUnit.Count, deleted);
  metrics.addMetric('StepRecordsKeptOrders', MetricUnit.Count, kept);
  metrics.addMetric('StepRecordRetentionLagHours', MetricUnit.Count, lagHours);
  metrics.publishStoredMetrics();
}

export function count(name: keyof typeof SAGA_METRICS): void {
  metrics.addMetric(SAGA_METRICS[name], MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
