import { purgeStepRecords, type StepRecordPurge } from '../adapters/pg-orders';

export interface StepRecordRetentionConfig {
  /** A terminal order's step records go once it is unchanged for this many days. */
  readonly retentionDays: number;
  /** Orders per window the run aims at: a window with fewer doubles the next one, with more than twice as many halves it. */
  readonly targetOrdersPerWindow: number;
  /** The run stops starting windows after this long (the Lambda's timeout is above it); the next run goes on. */
  readonly maxSeconds: number;
  /** The first window's width. @default 60 */
  readonly firstWindowSeconds?: number;
}

export interface StepRecordRetentionReport {
  readonly windows: number;
  readonly orders: number;
  readonly records: number;
  readonly purgedOrders: number;
  /** Orders whose records were kept although old enough: not terminal, or changed within the retention (the first KEPT_LISTED). */
  readonly kept: string[];
  /** How many such orders there were. */
  readonly keptCount: number;
  /** Where the watermark stands after the run (order creation time). */
  readonly watermark: Date | null;
  /** Nothing older than the cutoff is left to look at. */
  readonly caughtUp: boolean;
}

/** The report names at most this many kept orders (it counts them all). */
export const KEPT_LISTED = 1000;

/** Window widths stay within one second and one day. */
const MIN_WINDOW_S = 1;
const MAX_WINDOW_S = 86400;

/**
 * The retention of the saga's step records (schedule SagaStepRecordRetention; why and how in
 * migrations/1765000000000_saga-step-record-retention.js). Walks the orders by creation time from the
 * watermark, one window per transaction, until it reaches the cutoff (now - retentionDays) or its
 * time is up. The window adapts to the order rate, so a backlog of months and a quiet shop both take
 * few statements.
 */
export async function purgeOldStepRecords(
  cfg: StepRecordRetentionConfig,
  deps: { purge?: typeof purgeStepRecords; now?: () => number } = {},
): Promise<StepRecordRetentionReport> {
  const purge = deps.purge ?? purgeStepRecords;
  const now = deps.now ?? Date.now;
  const deadline = now() + cfg.maxSeconds * 1000;
  let window = cfg.firstWindowSeconds ?? 60;
  const totals = { windows: 0, orders: 0, records: 0, purgedOrders: 0, kept: [] as string[], keptCount: 0 };
  let last: StepRecordPurge | undefined;
  do {
    last = await purge(cfg.retentionDays, window);
    totals.windows++;
    totals.orders += last.orders;
    totals.records += last.records;
    totals.purgedOrders += last.purgedOrders;
    totals.keptCount += last.kept.length;
    totals.kept.push(...last.kept.slice(0, Math.max(0, KEPT_LISTED - totals.kept.length)));
    if (last.orders < cfg.targetOrdersPerWindow) window = Math.min(MAX_WINDOW_S, window * 2);
    else if (last.orders > 2 * cfg.targetOrdersPerWindow) window = Math.max(MIN_WINDOW_S, Math.floor(window / 2));
  } while (!last.caughtUp && now() < deadline);
  // The watermark moves only forwards: a window that ends before it (the cutoff behind it) leaves it.
  return { ...totals, watermark: last.from === null || last.to > last.from ? last.to : last.from, caughtUp: last.caughtUp };
}

/** How far the watermark is behind the cutoff (now - retentionDays), in hours to a tenth; 0 once caught up. */
export function retentionLagHours(report: Pick<StepRecordRetentionReport, 'caughtUp' | 'watermark'>, retentionDays: number, now = Date.now()): number {
  if (report.caughtUp || !report.watermark) return 0;
  const behindMs = now - retentionDays * 86400_000 - report.watermark.getTime();
  return Math.max(0, Math.round(behindMs / 360_000) / 10);
}
