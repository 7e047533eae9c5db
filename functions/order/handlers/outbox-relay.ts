import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { relayPending } from '../../shared/outbox';
import { logger, metrics } from '../../shared/powertools';

/**
 * OrderOutboxRelay (schedule): publishes outbox rows that were not published right after their commit.
 * A row the broker refuses does not hold back the others (shared/outbox.ts `sendIsolating`); every
 * run reports the rows that failed (`OutboxRelayFailed`, alarmed when it stays above 0 for 15 minutes:
 * events are not flowing) and those held behind a failed row of the same order.
 */
export const handler = async (_event?: unknown): Promise<{ published: number; failed: number; held: number }> => {
  const r = await relayPending();
  if (r.published || r.failed || r.held) {
    metrics.addMetric('OutboxRelayPublished', MetricUnit.Count, r.published);
    metrics.addMetric('OutboxRelayFailed', MetricUnit.Count, r.failed);
    metrics.addMetric('OutboxRelayHeld', MetricUnit.Count, r.held);
    metrics.publishStoredMetrics();
    (r.failed ? logger.warn.bind(logger) : logger.info.bind(logger))('outbox relay swept', r);
  }
  return r;
};
