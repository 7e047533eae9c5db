import { randomUUID } from 'node:crypto';
import { logger } from '../../shared/powertools';
import {
  decideAdjustPopularity,
  decideChangePrice,
  decideCreate,
  decideRetire,
  decideUpdateDetails,
  evolve,
  type ProductEvent,
  type ProductState,
} from '../domain/product';
import type { EventStore } from '../ports';
import type { CreateProductInput } from '../schemas';

export interface CommandOutcome {
  readonly productId: string;
  readonly version: number;
  readonly eventType: ProductEvent['type'];
}

export interface CommandDeps {
  readonly store: EventStore;
  readonly now?: () => Date;
}

/**
 * Runs one command: load the current state, decide the event, append it at version + 1 (the
 * commit point: the unique (aggregateId, version) key turns a concurrent writer into a 409), then
 * refresh the snapshot. A crash after the append leaves the snapshot behind; `load` folds the
 * missing events in, so the snapshot is always derivable.
 */
async function execute(deps: CommandDeps, productId: string, decide: (s: ProductState | undefined) => ProductEvent): Promise<CommandOutcome> {
  const state = await deps.store.load(productId);
  const event = decide(state);
  const version = (state?.version ?? 0) + 1;
  const time = (deps.now?.() ?? new Date()).toISOString();
  const next = evolve(state, { aggregateId: productId, version, time, event });
  await deps.store.append({ aggregateId: productId, version, time, event, state: next });
  try {
    await deps.store.saveSnapshot(next);
  } catch (err) {
    logger.warn('snapshot update failed; it is repaired from the events on the next load', { productId, version, error: String(err) });
  }
  return { productId, version, eventType: event.type };
}

export function createProduct(deps: CommandDeps, input: CreateProductInput): Promise<CommandOutcome> {
  const productId = input.productId ?? randomUUID();
  const { productId: _ignored, ...data } = input;
  return execute(deps, productId, (s) => decideCreate(s, productId, data));
}

export function updateDetails(
  deps: CommandDeps,
  productId: string,
  input: { expectedVersion: number; name?: string; description?: string; category?: string; inStock?: boolean },
): Promise<CommandOutcome> {
  const { expectedVersion, ...data } = input;
  return execute(deps, productId, (s) => decideUpdateDetails(s, productId, expectedVersion, data));
}

export function changePrice(deps: CommandDeps, productId: string, input: { expectedVersion: number; price: number }): Promise<CommandOutcome> {
  return execute(deps, productId, (s) => decideChangePrice(s, productId, input.expectedVersion, input.price));
}

export function adjustPopularity(deps: CommandDeps, productId: string, input: { expectedVersion: number; delta: number }): Promise<CommandOutcome> {
  return execute(deps, productId, (s) => decideAdjustPopularity(s, productId, input.expectedVersion, input.delta));
}

export function retireProduct(deps: CommandDeps, productId: string, input: { expectedVersion: number; reason?: string }): Promise<CommandOutcome> {
  return execute(deps, productId, (s) => decideRetire(s, productId, input.expectedVersion, input.reason));
}
