import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import { ConflictError } from '../../shared/errors';
import { replay, type ProductEvent, type ProductState, type StoredEvent } from '../domain/product';
import type { AppendRequest, EventStore, RelayItem } from '../ports';

/**
 * The event store on a Mongo-wire database (DocumentDB on AWS, FerretDB locally).
 *
 * - `catalog_events`: one document per event, `_id` = `<aggregateId>:<version>`, plus unique
 *   indexes on (aggregateId, version) and on seq. The insert is the commit point: no
 *   multi-document transaction is needed (FerretDB 1.x has none, DocumentDB limits them).
 * - `catalog_products`: snapshots, written after the append; behind or missing is repaired on load.
 * - `catalog_meta`: the seq counter and the relay checkpoint.
 */
export const EVENTS = 'catalog_events';
export const SNAPSHOTS = 'catalog_products';
export const META = 'catalog_meta';
const SEQ_ID = 'seq';
const CHECKPOINT_ID = 'relay-checkpoint';

interface EventDoc {
  _id: string;
  kind: 'event' | 'gap';
  aggregateId: string;
  version: number;
  seq: number;
  time: string;
  eventId?: string;
  type?: ProductEvent['type'];
  data?: unknown;
  state?: ProductState;
}
type SnapshotDoc = ProductState & { _id: string };
interface MetaDoc {
  _id: string;
  value?: number;
  lastSeq?: number;
  updatedAt?: string;
}

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

function toStored(d: EventDoc): StoredEvent {
  return { eventId: d.eventId ?? d._id, aggregateId: d.aggregateId, version: d.version, seq: d.seq, time: d.time, event: { type: d.type, data: d.data } as ProductEvent };
}

export class MongoEventStore implements EventStore {
  readonly events: Collection<EventDoc>;
  readonly snapshots: Collection<SnapshotDoc>;
  readonly meta: Collection<MetaDoc>;
  private ready: Promise<void> | undefined;

  constructor(readonly db: Db) {
    this.events = db.collection<EventDoc>(EVENTS);
    this.snapshots = db.collection<SnapshotDoc>(SNAPSHOTS);
    this.meta = db.collection<MetaDoc>(META);
  }

  /** Creates the unique indexes once (idempotent). */
  ensureIndexes(): Promise<void> {
    this.ready ??= (async () => {
      await this.events.createIndex({ aggregateId: 1, version: 1 }, { unique: true, name: 'aggregate_version_unique' });
      await this.events.createIndex({ seq: 1 }, { unique: true, name: 'seq_unique' });
      await this.snapshots.createIndex({ category: 1 }, { name: 'category' });
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  async load(productId: string): Promise<ProductState | undefined> {
    const snap = await this.snapshots.findOne({ _id: productId });
    const from = snap ? stripId(snap) : undefined;
    const tail = await this.events
      .find({ aggregateId: productId, version: { $gt: from?.version ?? 0 } })
      .sort({ version: 1 })
      .toArray();
    return replay(tail.map(toStored), from);
  }

  async nextSeq(n = 1): Promise<number> {
    const r = await this.meta.findOneAndUpdate({ _id: SEQ_ID }, { $inc: { value: n } }, { upsert: true, returnDocument: 'after' });
    if (!r || typeof r.value !== 'number') throw new Error('seq counter returned no value');
    return r.value;
  }

  async append(req: AppendRequest): Promise<StoredEvent> {
    await this.ensureIndexes();
    const _id = `${req.aggregateId}:${req.version}`;
    // Per-product order on the topic follows seq: this event's seq must exceed its predecessor's.
    const prev = req.version > 1 ? await this.events.findOne({ _id: `${req.aggregateId}:${req.version - 1}` }, { projection: { seq: 1 } }) : null;
    for (let attempt = 0; attempt < 30; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(50, 2 ** attempt));
      const seq = await this.nextSeq(1);
      if (prev && seq <= prev.seq) {
        // The counter went backwards (FerretDB's non-atomic findAndModify): repair and retry.
        await this.fenceGap(seq).catch(() => undefined);
        await this.repairCounter().catch(() => undefined);
        continue;
      }
      const doc: EventDoc = {
        _id,
        kind: 'event',
        aggregateId: req.aggregateId,
        version: req.version,
        seq,
        time: req.time,
        eventId: randomUUID(),
        type: req.event.type,
        data: req.event.data,
        state: req.state,
      };
      try {
        await this.events.insertOne(doc);
        return toStored(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const taken = await this.events.findOne({ aggregateId: req.aggregateId, version: req.version }, { projection: { _id: 1 } });
        if (taken) {
          // Give the unused seq back as a gap marker so the relay need not wait for it.
          await this.fenceGap(seq).catch(() => undefined);
          throw new ConflictError(`product ${req.aggregateId} version ${req.version} was written concurrently; reload and retry`, 'VERSION_CONFLICT');
        }
        // The seq is taken: the relay fenced it (we were slower than its gap timeout), or the
        // counter handed it out twice (FerretDB 1.x findAndModify is not atomic under
        // concurrency). Move the counter past the highest seq in use and take another.
        await this.repairCounter().catch(() => undefined);
      }
    }
    throw new Error(`could not allocate a seq for ${_id}`);
  }

  /** Moves the seq counter up to the highest seq in the event store (never down). */
  async repairCounter(): Promise<void> {
    const top = await this.events.find({}, { projection: { seq: 1 } }).sort({ seq: -1 }).limit(1).next();
    if (top) await this.meta.updateOne({ _id: SEQ_ID, value: { $lt: top.seq } }, { $set: { value: top.seq } });
  }

  async saveSnapshot(state: ProductState): Promise<void> {
    const r = await this.snapshots.updateOne({ _id: state.productId, version: { $lt: state.version } }, { $set: { ...state } });
    if (r.matchedCount > 0) return;
    try {
      await this.snapshots.insertOne({ _id: state.productId, ...state });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // a newer snapshot is already there
    }
  }

  async getSnapshot(productId: string): Promise<ProductState | undefined> {
    const s = await this.snapshots.findOne({ _id: productId });
    return s ? stripId(s) : undefined;
  }

  async readAfter(afterSeq: number, limit: number): Promise<RelayItem[]> {
    const docs = await this.events.find({ seq: { $gt: afterSeq } }).sort({ seq: 1 }).limit(limit).toArray();
    return docs.map((d): RelayItem => (d.kind === 'gap' || !d.state ? { kind: 'gap', seq: d.seq, time: d.time } : { kind: 'event', ...toStored(d), state: d.state }));
  }

  async fenceGap(seq: number): Promise<boolean> {
    try {
      await this.events.insertOne({ _id: `gap:${seq}`, kind: 'gap', aggregateId: `__gap__:${seq}`, version: 0, seq, time: new Date().toISOString() });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Either already fenced (fine) or a real event holds the seq (publish it instead).
      const holder = await this.events.findOne({ seq }, { projection: { kind: 1 } });
      return holder?.kind === 'gap';
    }
  }

  async getCheckpoint(): Promise<number> {
    const d = await this.meta.findOne({ _id: CHECKPOINT_ID });
    return d?.lastSeq ?? 0;
  }

  async setCheckpoint(lastSeq: number): Promise<void> {
    // Monotonic: a slower, overlapping relay cannot move the checkpoint back.
    const set = { lastSeq, updatedAt: new Date().toISOString() };
    const r = await this.meta.updateOne({ _id: CHECKPOINT_ID, lastSeq: { $lt: lastSeq } }, { $set: set });
    if (r.matchedCount > 0) return;
    try {
      await this.meta.insertOne({ _id: CHECKPOINT_ID, ...set });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async highWaterSeq(): Promise<number> {
    const d = await this.meta.findOne({ _id: SEQ_ID });
    return d?.value ?? 0;
  }

  async countEvents(): Promise<number> {
    return this.events.estimatedDocumentCount();
  }

  /** Every event in seq order (= version order within an aggregate), on one streaming cursor. */
  async *streamAll(afterSeq = 0): AsyncIterable<StoredEvent> {
    const cursor = this.events.find({ seq: { $gt: afterSeq }, kind: 'event' }).sort({ seq: 1 }).batchSize(5000);
    try {
      for await (const d of cursor) yield toStored(d);
    } finally {
      await cursor.close();
    }
  }

  /**
   * Bulk path for the seed command: N ProductCreated events at version 1 in one seq block, then
   * their snapshots. Unordered inserts; a product id that exists already is reported, not written.
   * Call `repairCounter()` once before a series of these (it scans the store on FerretDB).
   */
  async appendCreatedMany(states: readonly ProductState[]): Promise<{ inserted: number; duplicates: number }> {
    await this.ensureIndexes();
    if (states.length === 0) return { inserted: 0, duplicates: 0 };
    const last = await this.nextSeq(states.length);
    const first = last - states.length + 1;
    const docs: EventDoc[] = states.map((s, i) => ({
      _id: `${s.productId}:1`,
      kind: 'event',
      aggregateId: s.productId,
      version: 1,
      seq: first + i,
      time: s.createdAt,
      eventId: randomUUID(),
      type: 'ProductCreated',
      data: { name: s.name, description: s.description, category: s.category, price: s.price, popularity: s.popularity, inStock: s.inStock },
      state: s,
    }));
    let duplicates = 0;
    try {
      await this.events.insertMany(docs, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: unknown[] | unknown }).writeErrors;
      const n = Array.isArray(writeErrors) ? writeErrors.length : writeErrors ? 1 : 0;
      if (n === 0) throw err;
      duplicates = n;
    }
    // Snapshots for what was inserted (a duplicate keeps its existing snapshot).
    await this.snapshots.insertMany(states.map((s) => ({ _id: s.productId, ...s })), { ordered: false }).catch((err: unknown) => {
      if (!(err as { writeErrors?: unknown }).writeErrors) throw err;
    });
    // A failed insert left its seq unused: fence those so the relay does not wait.
    if (duplicates > 0) {
      const used = new Set((await this.events.find({ seq: { $gte: first, $lte: last } }, { projection: { seq: 1 } }).toArray()).map((d) => d.seq));
      for (let s = first; s <= last; s++) if (!used.has(s)) await this.fenceGap(s);
    }
    return { inserted: states.length - duplicates, duplicates };
  }
}

function stripId(s: SnapshotDoc): ProductState {
  const { _id, ...rest } = s;
  return rest as ProductState;
}
