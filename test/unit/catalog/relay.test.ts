import type { ProductState } from '../../../functions/catalog/domain/product';
import type { EventPublisher, EventStore, RelayItem } from '../../../functions/catalog/ports';
import { relayOnce } from '../../../functions/catalog/usecases/relay';

/** An in-memory event-store stand-in holding only what the relay reads (seq-ordered items). */
class MemoryRelayStore implements Pick<EventStore, 'readAfter' | 'fenceGap' | 'getCheckpoint' | 'setCheckpoint'> {
  items = new Map<number, RelayItem>();
  checkpoint = 0;
  readAfter = async (after: number, limit: number) =>
    [...this.items.values()]
      .filter((i) => i.seq > after)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  fenceGap = async (seq: number) => {
    const cur = this.items.get(seq);
    if (cur) return cur.kind === 'gap';
    this.items.set(seq, { kind: 'gap', seq, time: new Date(0).toISOString() });
    return true;
  };
  getCheckpoint = async () => this.checkpoint;
  setCheckpoint = async (n: number) => {
    this.checkpoint = Math.max(this.checkpoint, n);
  };
  add(seq: number, productId: string, version: number, time = new Date(1000).toISOString()) {
    this.items.set(seq, {
      kind: 'event',
      seq,
      eventId: `e${seq}`,
      aggregateId: productId,
      version,
      time,
      event: { type: 'ProductRetired', data: {} },
      state: { productId, version } as ProductState,
    });
  }
}

class RecordingPublisher implements EventPublisher {
  sent: string[] = [];
  failNext = false;
  publish = async (items: ReadonlyArray<Extract<RelayItem, { kind: 'event' }>>) => {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('broker down');
    }
    this.sent.push(...items.map((i) => `${i.aggregateId}@${i.version}`));
  };
}

function deps(store: MemoryRelayStore, publisher: RecordingPublisher, now: number, gapMs = 5000) {
  return { store: store as unknown as EventStore, publisher, batchSize: 2, gapMs, maxMs: 10_000, now: () => now };
}

describe('relay', () => {
  it('publishes in seq order across batches and moves the checkpoint', async () => {
    const s = new MemoryRelayStore();
    const p = new RecordingPublisher();
    s.add(1, 'a', 1);
    s.add(2, 'b', 1);
    s.add(3, 'a', 2);
    const out = await relayOnce(deps(s, p, 2000));
    expect(p.sent).toEqual(['a@1', 'b@1', 'a@2']);
    expect(out).toMatchObject({ published: 3, checkpoint: 3, fenced: 0 });
    expect(s.checkpoint).toBe(3);
  });

  it('resumes from the checkpoint after a crash, publishing the unacknowledged batch again', async () => {
    const s = new MemoryRelayStore();
    const p = new RecordingPublisher();
    s.add(1, 'a', 1);
    s.add(2, 'a', 2);
    s.checkpoint = 1;
    p.failNext = true;
    await expect(relayOnce(deps(s, p, 2000))).rejects.toThrow('broker down');
    expect(s.checkpoint).toBe(1);
    await relayOnce(deps(s, p, 2000));
    expect(p.sent).toEqual(['a@2']);
  });

  it('stops at a young hole and does not move past it', async () => {
    const s = new MemoryRelayStore();
    const p = new RecordingPublisher();
    s.add(1, 'a', 1);
    s.add(3, 'b', 1, new Date(1000).toISOString());
    const out = await relayOnce(deps(s, p, 2000));
    expect(p.sent).toEqual(['a@1']);
    expect(out.checkpoint).toBe(1);
    // the stalled writer lands: next pass publishes both in order
    s.add(2, 'c', 1);
    await relayOnce(deps(s, p, 2500));
    expect(p.sent).toEqual(['a@1', 'c@1', 'b@1']);
  });

  it('fences a hole older than the gap timeout and goes on', async () => {
    const s = new MemoryRelayStore();
    const p = new RecordingPublisher();
    s.add(1, 'a', 1);
    s.add(3, 'b', 1, new Date(1000).toISOString());
    const out = await relayOnce(deps(s, p, 1000 + 6000));
    expect(p.sent).toEqual(['a@1', 'b@1']);
    expect(out).toMatchObject({ fenced: 1, checkpoint: 3 });
    expect(s.items.get(2)?.kind).toBe('gap');
  });

  it('skips gap markers without publishing them', async () => {
    const s = new MemoryRelayStore();
    const p = new RecordingPublisher();
    s.add(1, 'a', 1);
    await s.fenceGap(2);
    s.add(3, 'a', 2);
    await relayOnce(deps(s, p, 2000));
    expect(p.sent).toEqual(['a@1', 'a@2']);
    expect(s.checkpoint).toBe(3);
  });
});
