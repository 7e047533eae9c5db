import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { logger } from '../../shared/powertools';
import { countStepRecordRetention } from '../adapters/metrics';
import { purgeOldStepRecords, type StepRecordRetentionReport } from '../use-cases/purge-step-records';

/**
 * The shortest retention allowed: a step record must outlive every way its step can run again. The
 * dead-letter topic keeps an order-created message 14 days (Kafka's topics 7), and a redelivered
 * message starts a saga under the order id; the sweeper restarts only orders that are not terminal.
 */
export const MIN_RETENTION_DAYS = 15;

const config = loadConfig(
  z.object({
    STEP_RECORD_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(MIN_RETENTION_DAYS, `must be at least ${MIN_RETENTION_DAYS} days: the dead-letter topic keeps order-created messages 14 days, and a redelivered one must find its steps recorded`)
      .default(30),
    STEP_RECORD_RETENTION_WINDOW_ORDERS: z.coerce.number().int().min(100).max(100000).default(5000),
    STEP_RECORD_RETENTION_MAX_SECONDS: z.coerce.number().positive().default(240),
  }),
);

/**
 * SagaStepRecordRetention (schedule): deletes the step records (`processed_messages`) of orders
 * terminal and unchanged for STEP_RECORD_RETENTION_DAYS. See use-cases/purge-step-records.ts.
 */
export const handler = async (_event?: unknown): Promise<StepRecordRetentionReport> => {
  const report = await purgeOldStepRecords({
    retentionDays: config.STEP_RECORD_RETENTION_DAYS,
    targetOrdersPerWindow: config.STEP_RECORD_RETENTION_WINDOW_ORDERS,
    maxSeconds: config.STEP_RECORD_RETENTION_MAX_SECONDS,
  });
  if (report.orders > 0 || report.kept.length > 0) {
    countStepRecordRetention(report.records, report.kept.length);
    logger.info('step records purged', { windows: report.windows, orders: report.orders, records: report.records, purgedOrders: report.purgedOrders, kept: report.kept.length, watermark: report.watermark?.toISOString(), caughtUp: report.caughtUp });
  }
  if (report.kept.length > 0) {
    // Not terminal, or changed within the retention, although created before the cutoff: the watermark
    // has passed them, so their records stay. Orders this old that are not terminal are alarmed by SagaStuck.
    logger.warn('step records kept: orders past the retention that are not terminal or changed recently', { orders: report.kept.slice(0, 100), count: report.kept.length });
  }
  return report;
};
