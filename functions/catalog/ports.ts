import type { ProductEvent, ProductState, StoredEvent } from './domain/product';
import type { SearchInput, SearchResultT } from './schemas';

/** Ports the catalog use cases talk to; adapters in ./adapters implement them on the engines. */

export interface AppendRequest {
  readonly aggregateId: string;
  readonly version: number;
  readonly time: string;
  readonly event: ProductEvent;
  /** The state after this event (stored with it so consumers are order-independent). */
  readonly state: ProductState;
}

/** A document in the event store as the relay reads it: an event, or a fenced hole in `seq`. */
export type RelayItem = ({ readonly kind: 'event'; readonly state: ProductState } & StoredEvent) | { readonly kind: 'gap'; readonly seq: number; readonly time: string };

export interface EventStore {
  /** Snapshot plus any events after it, folded: the current state (undefined if never created). */
  load(productId: string): Promise<ProductState | undefined>;
  /** The commit point. Throws ConflictError when (aggregateId, version) already exists. */
  append(req: AppendRequest): Promise<StoredEvent>;
  /** Best effort: the snapshot is derivable from the events and repaired on the next load. */
  saveSnapshot(state: ProductState): Promise<void>;
  /** Events and gap markers with seq > afterSeq, in seq order. */
  readAfter(afterSeq: number, limit: number): Promise<RelayItem[]>;
  /** Claims an unused seq so a stalled writer can never land behind the relay's checkpoint.
   * Returns false when a real event holds that seq after all. */
  fenceGap(seq: number): Promise<boolean>;
  getCheckpoint(): Promise<number>;
  setCheckpoint(lastSeq: number): Promise<void>;
  /** Highest seq allocated so far. */
  highWaterSeq(): Promise<number>;
  /** Every event, grouped by aggregate and in version order (for replay). */
  streamAll(): AsyncIterable<StoredEvent>;
}

export interface EventPublisher {
  /** Publishes in the given order; resolves once the broker acknowledged all of them. */
  publish(items: ReadonlyArray<Extract<RelayItem, { kind: 'event' }>>): Promise<void>;
}

export interface VersionedDoc {
  readonly state: ProductState;
  /** Event time, for the projection lag. */
  readonly time: string;
}

export interface ApplyResult {
  readonly applied: ProductState[];
  readonly skipped: number;
}

export interface SearchIndex {
  /** Writes each product state with external versioning: an older or equal version is skipped. */
  applyVersioned(docs: readonly ProductState[], target?: string): Promise<ApplyResult>;
  get(productId: string): Promise<ProductState | undefined>;
  listByCategory(category: string, after: readonly (string | number)[] | undefined, limit: number): Promise<{ items: ProductState[]; last: (string | number)[] | undefined }>;
  search(input: SearchInput): Promise<SearchResultT>;
}

export interface CatalogCache {
  getProduct(productId: string): Promise<ProductState | undefined>;
  /** Sets the entry unless the cache already holds this version or a newer one. */
  putProduct(state: ProductState): Promise<void>;
  getSearch(key: string): Promise<SearchResultT | undefined>;
  putSearch(key: string, result: SearchResultT): Promise<void>;
  /** Called by the projector for what an applied batch touched. */
  productsChanged(states: readonly ProductState[]): Promise<void>;
}
