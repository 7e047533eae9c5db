import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics } from '../shared/powertools';

/**
 * Catalog metrics (namespace Shop via the shared Powertools Metrics): CacheHit, CacheMiss,
 * SearchLatency, ProjectionLag. The same names are kept in process (`catalogMetricTotals`) so local
 * runs, tests and the benchmark read the figures the dashboards show.
 */
export type CatalogMetricName = 'CacheHit' | 'CacheMiss' | 'SearchLatency' | 'ProjectionLag';

const totals: Record<CatalogMetricName, { count: number; sum: number }> = {
  CacheHit: { count: 0, sum: 0 },
  CacheMiss: { count: 0, sum: 0 },
  SearchLatency: { count: 0, sum: 0 },
  ProjectionLag: { count: 0, sum: 0 },
};

let pending = false;

export function recordMetric(name: CatalogMetricName, value = 1): void {
  pending = true;
  const unit = name === 'CacheHit' || name === 'CacheMiss' ? MetricUnit.Count : MetricUnit.Milliseconds;
  metrics.addMetric(name, unit, value);
  totals[name].count += 1;
  totals[name].sum += value;
}

export function catalogMetricTotals(): Readonly<Record<CatalogMetricName, { count: number; sum: number }>> {
  return JSON.parse(JSON.stringify(totals)) as Record<CatalogMetricName, { count: number; sum: number }>;
}

export function resetCatalogMetricTotals(): void {
  for (const t of Object.values(totals)) {
    t.count = 0;
    t.sum = 0;
  }
}

/** Flushes stored metrics (one EMF line under Lambda); never throws into the caller. */
export function flushMetrics(): void {
  if (!pending) return;
  pending = false;
  try {
    metrics.publishStoredMetrics();
  } catch {
    /* metrics must not fail a request */
  }
}
