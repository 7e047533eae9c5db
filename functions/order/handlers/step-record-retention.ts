import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { logger } from '../../shared/powertools';
import { reportStepRecordRetention } from '../adapters/metrics';
import { purgeOldStepRecords, retentionLagHours, type StepRecordRetentionReport } from '../use-cases/purge-step-records';

/**
 * The shortest retention allowed: a step record must outlive every way its step can run again.
 * An order-created message can come back for 14 days (7 on its topic, then 7 on the dead-letter
 * topic, from where an operator may replay it), and a redelivered message starts a saga under the
 * order id; Step Functions redrives a failed execution for 14 days after it ended (its order is not
 * terminal then, so its records stay anyway); the sweeper restarts only orders that are not terminal.
 * (Step Functions also refuses a used execution name for 90 days: a second guard, not one relied on.)
 */
export const MIN_RETENTION_DAYS = 15;

const config = loadConfig(
  z.object({
    STEP_RECORD_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(MIN_RETENTION_DAYS, `must be at least ${MIN_RETENTION_DAYS} days: an order-created message can come back for 14 days (7 on its topic, 7 on the dead-letter topic), and its saga must find the steps recorded`)
      .default(30),
    STEP_RECORD_RETENTION_WINDOW_ORDERS: z.coerce.number().int().min(100).max(100000).default(5000),
    STEP_RECORD_RETENTION_MAX_SECONDS: z.coerce.number().positive().default(240),
  }),
);

/**
 * SagaStepRecordRetention (schedule): deletes the step records (`processed_messages`) of orders
 * terminal and unchanged for STEP_RECORD_RETENTION_DAYS. See use-cases/purge-step-records.ts.
 */
export const handler = async (_event?: unknown): Promise<StepRecordRetentionReport & { lagHours: number }> => {
  const report = await purgeOldStepRecords({
    retentionDays: config.STEP_RECORD_RETENTION_DAYS,
    targetOrdersPerWindow: config.STEP_RECORD_RETENTION_WINDOW_ORDERS,
    maxSeconds: config.STEP_RECORD_RETENTION_MAX_SECONDS,
  });
  const lagHours = retentionLagHours(report, config.STEP_RECORD_RETENTION_DAYS);
  reportStepRecordRetention(report.records, report.keptCount, lagHours);
  if (report.orders > 0 || report.keptCount > 0) {
    logger.info('step records purged', { windows: report.windows, orders: report.orders, records: report.records, purgedOrders: report.purgedOrders, kept: report.keptCount, watermark: report.watermark?.toISOString(), caughtUp: report.caughtUp, lagHours });
  }
  if (report.keptCount > 0) {
    // Not terminal, or changed within the retention, although created before the cutoff: the watermark
    // has passed them, so their records stay. Orders this old that are not terminal are alarmed by SagaStuck.
    logger.warn('step records kept: orders past the retention that are not terminal or changed recently', { orders: report.kept.slice(0, 100), count: report.keptCount });
  }
  return { ...report, lagHours };
};
