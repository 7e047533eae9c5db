import type { ProductState } from '../domain/product';
import { recordMetric } from '../metrics';
import type { CatalogCache, SearchIndex } from '../ports';

export interface ProjectedEvent {
  readonly state: ProductState;
  /** When the event was appended (ISO), for the projection lag. */
  readonly time: string;
}

export interface ProjectOutcome {
  readonly received: number;
  readonly applied: number;
  readonly skipped: number;
}

/**
 * Applies a batch of catalog events to the search index. Each event carries the product state
 * after it, and the index keeps the version (external versioning), so a duplicate or an older
 * event than the one applied is skipped by the engine: duplicates and reordering leave the index
 * correct. Then the cache entries the applied events touch are replaced (product, version-guarded)
 * and the search entries invalidated.
 */
export async function projectEvents(deps: { index: SearchIndex; cache: CatalogCache; now?: () => number }, events: readonly ProjectedEvent[]): Promise<ProjectOutcome> {
  if (events.length === 0) return { received: 0, applied: 0, skipped: 0 };
  const latest = new Map<string, ProductState>();
  for (const e of events) {
    const cur = latest.get(e.state.productId);
    if (!cur || cur.version < e.state.version) latest.set(e.state.productId, e.state);
  }
  const res = await deps.index.applyVersioned([...latest.values()]);
  if (res.applied.length > 0) await deps.cache.productsChanged(res.applied);
  const now = (deps.now ?? Date.now)();
  const oldest = Math.min(...events.map((e) => Date.parse(e.time)));
  if (Number.isFinite(oldest)) recordMetric('ProjectionLag', Math.max(0, now - oldest));
  return { received: events.length, applied: res.applied.length, skipped: events.length - res.applied.length };
}
