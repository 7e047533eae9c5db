import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { oldestUnsentAgeSeconds, relayPending } from '../../shared/outbox';
import { logger, metrics } from '../../shared/powertools';

/**
 * OrderOutboxRelay (schedule): publishes outbox rows that were not published right after their commit.
 * A row the broker refuses does not hold back the others (shared/outbox.ts `sendIsolating`); every
 * run reports the rows that failed (`OutboxRelayFailed`, alarmed when it stays above 0 for 15 minutes:
 * events are not flowing) and those held behind an older unsent row of the same order.
 * `OutboxOldestUnsentSeconds` (every run, 0 when the outbox is empty) is how far behind publishing is:
 * failures and held rows say something is wrong, the age says how long events have been waiting
 * (an alarm watches this name), whatever the cause, including a relay that sends nothing at all.
 */
export const handler = async (_event?: unknown): Promise<{ published: number; failed: number; held: number }> => {
  const r = await relayPending();
  if (r.published || r.failed || r.held) {
    metrics.addMetric('OutboxRelayPublished', MetricUnit.Count, r.published);
    metrics.addMetric('OutboxRelayFailed', MetricUnit.Count, r.failed);
    metrics.addMetric('OutboxRelayHeld', MetricUnit.Count, r.held);
    (r.failed ? logger.warn.bind(logger) : logger.info.bind(logger))('outbox relay swept', r);
  }
  try {
    metrics.addMetric('OutboxOldestUnsentSeconds', MetricUnit.Seconds, await oldestUnsentAgeSeconds());
  } finally {
    metrics.publishStoredMetrics();
  }
  return r;
};
