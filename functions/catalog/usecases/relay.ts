import type { EventPublisher, EventStore, RelayItem } from '../ports';

export interface RelayDeps {
  readonly store: EventStore;
  readonly publisher: EventPublisher;
  readonly batchSize: number;
  /** A seq missing for longer than this (judged by the time of the next event) is fenced. */
  readonly gapMs: number;
  /** Stop starting new batches after this long. */
  readonly maxMs: number;
  readonly now?: () => number;
}

export interface RelayOutcome {
  readonly published: number;
  readonly fenced: number;
  readonly batches: number;
  readonly checkpoint: number;
}

/**
 * One relay pass: publish every event after the checkpoint, in seq order (which is version order
 * per product), then move the checkpoint. At least once: a crash after publishing and before the
 * checkpoint re-publishes the batch, and the projector skips what it has applied.
 *
 * Seqs are allocated before the insert, so a slow writer can leave a hole that fills later. The
 * relay never moves past a young hole; a hole older than gapMs is fenced (a marker takes its seq,
 * so the stalled insert fails on the unique seq and the writer retries with a new seq) and skipped.
 */
export async function relayOnce(deps: RelayDeps): Promise<RelayOutcome> {
  const now = deps.now ?? Date.now;
  const started = now();
  let checkpoint = await deps.store.getCheckpoint();
  let published = 0;
  let fenced = 0;
  let batches = 0;
  for (;;) {
    const items = await deps.store.readAfter(checkpoint, deps.batchSize);
    if (items.length === 0) break;
    const toPublish: Array<Extract<RelayItem, { kind: 'event' }>> = [];
    let next = checkpoint;
    let blocked = false;
    for (const item of items) {
      while (item.seq > next + 1) {
        const age = now() - Date.parse(item.time);
        if (age < deps.gapMs || !(await deps.store.fenceGap(next + 1))) {
          blocked = true;
          break;
        }
        fenced += 1;
        next += 1;
      }
      if (blocked) break;
      if (item.kind === 'event') toPublish.push(item);
      next = item.seq;
    }
    if (toPublish.length > 0) await deps.publisher.publish(toPublish);
    if (next > checkpoint) await deps.store.setCheckpoint(next);
    published += toPublish.length;
    batches += 1;
    const progressed = next > checkpoint;
    checkpoint = next;
    if (blocked || !progressed || items.length < deps.batchSize || now() - started > deps.maxMs) break;
  }
  return { published, fenced, batches, checkpoint };
}
