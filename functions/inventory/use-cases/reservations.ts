import { envelope } from '../../shared/events';
import { runStepOnce } from '../../shared/idempotency';
import { releaseStatement, reserveNormalStatement, reserveOutcome, reserveStatement, type ReserveRow } from '../adapters/pg-inventory';
import { OutOfStockError, ReservationCompensatedError, UnknownSkuError } from '../domain/errors';
import { INVENTORY_EVENT_SOURCE, INVENTORY_TOPIC, type Line, type ReleaseResult, type ReserveResult } from '../domain/schemas';
import { mergeLines } from './lines';

export const RESERVE_STEP = 'inventory.reserve';
export const RELEASE_STEP = 'inventory.release';

/**
 * Reserves every line of the order or none (one transaction, two round trips: the reserve statement
 * goes with the order lock), idempotent on (order id, reserve).
 * Throws OutOfStockError / UnknownSkuError (nothing reserved), or ReservationCompensatedError when
 * the order's inventory was already released (a late duplicate after the compensation, or a
 * restarted saga replaying its reserve after the release).
 * The InventoryReserved event goes to the outbox in the same transaction; it is published with the
 * order's other events by the saga's publish step (or the relay).
 */
export async function reserveInventory(input: { readonly orderId: string; readonly items: readonly Line[] }): Promise<ReserveResult> {
  const lines = mergeLines(input.items);
  // Every line reserved: the normal path, in one round trip when nothing else applies (see runStepOnce).
  const reserved: ReserveResult = { reservationId: input.orderId, lines };
  const event = { topic: INVENTORY_TOPIC, key: input.orderId, event: envelope({ type: 'InventoryReserved', source: INVENTORY_EVENT_SOURCE, orderId: input.orderId, data: { orderId: input.orderId, lines } }) };
  const normal = { body: reserveNormalStatement(input.orderId, lines), conflicts: [RELEASE_STEP], result: reserved, outbox: [event] };
  // A replay after the release (a saga restarted after its earlier run compensated) is refused too:
  // going on would authorize the card for an order whose stock is already given back.
  const replay = (stored: ReserveResult, done: ReadonlyMap<string, unknown>) => {
    if (done.has(RELEASE_STEP)) throw new ReservationCompensatedError(input.orderId);
    return stored;
  };
  const step = { ns: 'inventory' as const, orderId: input.orderId, step: RESERVE_STEP, body: reserveStatement(input.orderId, lines), normal, replay };
  const { result } = await runStepOnce<ReserveResult, ReserveRow>(step, async ({ rows, done, enqueue }) => {
    if (done.has(RELEASE_STEP)) throw new ReservationCompensatedError(input.orderId); // rolls the body's reservation back
    const outcome = reserveOutcome(rows);
    if (outcome.unknown.length > 0) throw new UnknownSkuError(outcome.unknown);
    if (outcome.shortages.length > 0) throw new OutOfStockError(outcome.shortages);
    enqueue(event);
    return reserved;
  });
  return result;
}

/** Compensation: gives back what the order reserved; a no-op when nothing was. Idempotent on (order id, release). */
export async function releaseInventory(input: { readonly orderId: string }): Promise<ReleaseResult> {
  const { result } = await runStepOnce<ReleaseResult, Line>({ ns: 'inventory', orderId: input.orderId, step: RELEASE_STEP, body: releaseStatement(input.orderId) }, async ({ rows, enqueue }) => {
    const lines = rows.map((r) => ({ sku: r.sku, quantity: r.quantity }));
    if (lines.length > 0) {
      enqueue({ topic: INVENTORY_TOPIC, key: input.orderId, event: envelope({ type: 'InventoryReleased', source: INVENTORY_EVENT_SOURCE, orderId: input.orderId, data: { orderId: input.orderId, lines } }) });
    }
    const out: ReleaseResult = { released: lines.length > 0, lines };
    return out;
  });
  return result;
}
