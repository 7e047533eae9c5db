import { ConflictError, NotFoundError } from '../../shared/errors';

/**
 * The product aggregate, event sourced. Pure: no I/O. `evolve` folds one event into the state;
 * the command functions decide which event a command produces (or throw a named error).
 * Replaying the event store through `evolve` rebuilds every snapshot and the search index.
 */
export type ProductStatus = 'active' | 'retired';

export interface ProductState {
  readonly productId: string;
  readonly version: number;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: number;
  readonly popularity: number;
  readonly inStock: boolean;
  readonly status: ProductStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ProductCreatedData {
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: number;
  readonly popularity: number;
  readonly inStock: boolean;
}
export interface ProductDetailsUpdatedData {
  readonly name?: string;
  readonly description?: string;
  readonly category?: string;
  readonly inStock?: boolean;
}
export interface ProductPriceChangedData {
  readonly price: number;
  readonly previousPrice: number;
}
export interface ProductPopularityAdjustedData {
  readonly delta: number;
  readonly popularity: number;
}
export interface ProductRetiredData {
  readonly reason?: string;
}

export type ProductEvent =
  | { readonly type: 'ProductCreated'; readonly data: ProductCreatedData }
  | { readonly type: 'ProductDetailsUpdated'; readonly data: ProductDetailsUpdatedData }
  | { readonly type: 'ProductPriceChanged'; readonly data: ProductPriceChangedData }
  | { readonly type: 'ProductPopularityAdjusted'; readonly data: ProductPopularityAdjustedData }
  | { readonly type: 'ProductRetired'; readonly data: ProductRetiredData };

export type ProductEventType = ProductEvent['type'];
export const PRODUCT_EVENT_TYPES: readonly ProductEventType[] = [
  'ProductCreated',
  'ProductDetailsUpdated',
  'ProductPriceChanged',
  'ProductPopularityAdjusted',
  'ProductRetired',
];

/** An event as stored: the aggregate id, its version (1, 2, ...) and when it happened. */
export interface StoredEvent {
  readonly eventId: string;
  readonly aggregateId: string;
  readonly version: number;
  /** Global append position (relay order); assigned by the store. */
  readonly seq: number;
  readonly time: string;
  readonly event: ProductEvent;
}

/** Prices are money with at most 2 decimals. */
export function roundPrice(p: number): number {
  return Math.round(p * 100) / 100;
}

/** Folds one event into the state. `state` is undefined before ProductCreated. */
export function evolve(state: ProductState | undefined, e: { aggregateId: string; version: number; time: string; event: ProductEvent }): ProductState {
  const ev = e.event;
  if (ev.type === 'ProductCreated') {
    return {
      productId: e.aggregateId,
      version: e.version,
      ...ev.data,
      status: 'active',
      createdAt: e.time,
      updatedAt: e.time,
    };
  }
  if (!state) throw new Error(`event ${ev.type} v${e.version} of ${e.aggregateId} has no ProductCreated before it`);
  const base = { ...state, version: e.version, updatedAt: e.time };
  switch (ev.type) {
    case 'ProductDetailsUpdated': {
      const d = ev.data;
      return {
        ...base,
        ...(d.name !== undefined ? { name: d.name } : {}),
        ...(d.description !== undefined ? { description: d.description } : {}),
        ...(d.category !== undefined ? { category: d.category } : {}),
        ...(d.inStock !== undefined ? { inStock: d.inStock } : {}),
      };
    }
    case 'ProductPriceChanged':
      return { ...base, price: ev.data.price };
    case 'ProductPopularityAdjusted':
      return { ...base, popularity: ev.data.popularity };
    case 'ProductRetired':
      return { ...base, status: 'retired' };
  }
}

/** Replays events (in version order) into the state; undefined for no events. */
export function replay(events: readonly { aggregateId: string; version: number; time: string; event: ProductEvent }[], from?: ProductState): ProductState | undefined {
  let s = from;
  for (const e of events) {
    if (s && e.version !== s.version + 1) throw new Error(`event stream of ${e.aggregateId} jumps from v${s.version} to v${e.version}`);
    s = evolve(s, e);
  }
  return s;
}

// ---- command decisions -------------------------------------------------------------------------

function requireCurrent(state: ProductState | undefined, productId: string, expectedVersion: number): ProductState {
  if (!state) throw new NotFoundError(`product ${productId} does not exist`);
  if (state.version !== expectedVersion) {
    throw new ConflictError(`product ${productId} is at version ${state.version}, not the expected ${expectedVersion}`, 'VERSION_CONFLICT');
  }
  if (state.status === 'retired') throw new ConflictError(`product ${productId} is retired`, 'PRODUCT_RETIRED');
  return state;
}

export function decideCreate(state: ProductState | undefined, productId: string, data: ProductCreatedData): ProductEvent {
  if (state) throw new ConflictError(`product ${productId} already exists`, 'ALREADY_EXISTS');
  return { type: 'ProductCreated', data: { ...data, price: roundPrice(data.price) } };
}

export function decideUpdateDetails(state: ProductState | undefined, productId: string, expectedVersion: number, data: ProductDetailsUpdatedData): ProductEvent {
  requireCurrent(state, productId, expectedVersion);
  return { type: 'ProductDetailsUpdated', data };
}

export function decideChangePrice(state: ProductState | undefined, productId: string, expectedVersion: number, price: number): ProductEvent {
  const s = requireCurrent(state, productId, expectedVersion);
  return { type: 'ProductPriceChanged', data: { price: roundPrice(price), previousPrice: s.price } };
}

export function decideAdjustPopularity(state: ProductState | undefined, productId: string, expectedVersion: number, delta: number): ProductEvent {
  const s = requireCurrent(state, productId, expectedVersion);
  return { type: 'ProductPopularityAdjusted', data: { delta, popularity: Math.max(0, s.popularity + delta) } };
}

export function decideRetire(state: ProductState | undefined, productId: string, expectedVersion: number, reason?: string): ProductEvent {
  requireCurrent(state, productId, expectedVersion);
  return { type: 'ProductRetired', data: reason ? { reason } : {} };
}
