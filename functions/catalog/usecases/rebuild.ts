import { evolve, type ProductState, type StoredEvent } from '../domain/product';
import type { ApplyResult } from '../ports';

export interface RebuildDeps {
  readonly store: { streamAll(afterSeq?: number): AsyncIterable<StoredEvent>; countEvents(): Promise<number> };
  readonly admin: {
    newIndexName(): string;
    create(name: string, refreshInterval?: string): Promise<void>;
    setRefreshInterval(index: string, interval: string): Promise<void>;
    refresh(index?: string): Promise<void>;
    swap(index: string): Promise<string[]>;
    drop(index: string): Promise<void>;
  };
  readonly index: { applyVersioned(docs: readonly ProductState[], target?: string): Promise<ApplyResult> };
  readonly batchSize?: number;
  readonly keepOld?: boolean;
  readonly onStart?: (totalEvents: number) => void;
  readonly onProgress?: (eventsDone: number) => void;
}

export interface RebuildOutcome {
  readonly index: string;
  readonly events: number;
  readonly products: number;
  readonly caughtUp: number;
  readonly previous: string[];
}

/**
 * Replays the event store into a fresh index, then points the alias at it atomically. Events
 * appended while the replay ran are folded in after the swap (external versions make that
 * idempotent with the live projector, which keeps writing to the alias).
 */
export async function rebuildIndex(deps: RebuildDeps): Promise<RebuildOutcome> {
  const batch = deps.batchSize ?? 2000;
  const name = deps.admin.newIndexName();
  deps.onStart?.(await deps.store.countEvents());
  await deps.admin.create(name, '-1');
  const states = new Map<string, ProductState>();
  let events = 0;
  let lastSeq = 0;
  for await (const e of deps.store.streamAll()) {
    states.set(e.aggregateId, evolve(states.get(e.aggregateId), e));
    lastSeq = Math.max(lastSeq, e.seq);
    events += 1;
    if (events % 1000 === 0) deps.onProgress?.(events);
  }
  const all = [...states.values()];
  for (let i = 0; i < all.length; i += batch) await deps.index.applyVersioned(all.slice(i, i + batch), name);
  deps.onProgress?.(events);
  await deps.admin.setRefreshInterval(name, '1s');
  await deps.admin.refresh(name);
  const previous = await deps.admin.swap(name);

  // Catch up with what arrived during the replay.
  const touched = new Map<string, ProductState>();
  for await (const e of deps.store.streamAll(lastSeq)) {
    const s = evolve(states.get(e.aggregateId), e);
    states.set(e.aggregateId, s);
    touched.set(e.aggregateId, s);
  }
  if (touched.size > 0) await deps.index.applyVersioned([...touched.values()], name);
  if (!deps.keepOld) for (const old of previous) await deps.admin.drop(old);
  return { index: name, events, products: states.size, caughtUp: touched.size, previous };
}
