import { createHash } from 'node:crypto';
import { withTransaction } from '../../shared/adapters/pg';
import { IdempotencyKeyReusedError, NotFoundError, ValidationError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import { lockOrderSteps, recordStep } from '../../shared/idempotency';
import { enqueue, hasOlderUnsent, publishNow, type OutboxRow } from '../../shared/outbox';
import { addStock, readStock } from '../adapters/pg-inventory';
import { INVENTORY_EVENT_SOURCE, INVENTORY_TOPIC, MAX_STOCK, type RestockBody, type Stock } from '../domain/schemas';

export async function getStock(sku: string): Promise<Stock> {
  const s = await readStock(sku);
  if (!s) throw new NotFoundError(`SKU ${sku} not found`);
  return s;
}

/** What a restock's Idempotency-Key stands for: the canonical body (fixed field order, an absent price as null). */
const requestHashOf = (body: RestockBody) => createHash('sha256').update(JSON.stringify({ quantity: body.quantity, priceCents: body.priceCents ?? null })).digest('hex');

/** The recorded step: the answer plus the hash of the request that got it (absent on steps recorded before the hash was). */
type RecordedRestock = Stock & { readonly requestHash?: string };

/**
 * Adds stock (creates the SKU when a price is given). With an idempotency key the same restock
 * sent twice adds once and answers the same; the same key with another body is a 409, as for
 * orders, rather than the first answer for a restock that did not happen.
 *
 * Without a key a restock is NOT idempotent: each request adds its quantity, so a retried request
 * (a timeout, a client retry) adds twice. Kept on purpose: admins script restocks, and two equal
 * restocks in a row are legitimate. Clients that retry must send an Idempotency-Key.
 */
export async function restock(sku: string, body: RestockBody, idempotencyKey?: string): Promise<Stock> {
  const hash = requestHashOf(body);
  let rows: OutboxRow[] = [];
  const stock = await withTransaction(async (tx) => {
    const ref = idempotencyKey ? `restock:${sku}:${idempotencyKey}` : undefined;
    if (ref) {
      const done = await lockOrderSteps(tx, 'inventory', ref);
      if (done.has('inventory.restock')) {
        const { requestHash, ...answer } = done.get('inventory.restock') as RecordedRestock;
        // A step recorded before the hash was stored cannot be checked: replayed as it always was.
        if (requestHash !== undefined && requestHash !== hash) throw new IdempotencyKeyReusedError();
        return answer;
      }
    }
    const r = await addStock(tx, sku, body.quantity, body.priceCents);
    if (r === 'unknown-sku') throw new ValidationError(`SKU ${sku} is new: priceCents is required`, [{ path: 'priceCents', message: 'required for a new SKU' }]);
    if (r === 'over-max') {
      const why = `the total stock would exceed the maximum stock (${MAX_STOCK})`;
      throw new ValidationError(`restocking ${body.quantity} of SKU ${sku}: ${why}`, [{ path: 'quantity', message: why }]);
    }
    const out: Stock = { sku, stock: r.stock, priceCents: r.priceCents, updatedAt: r.updatedAt.toISOString() };
    rows = await enqueue(tx, [{ topic: INVENTORY_TOPIC, key: sku, event: envelope({ type: 'InventoryRestocked', source: INVENTORY_EVENT_SOURCE, data: { sku, quantity: body.quantity, stock: r.stock } }) }]);
    if (ref) await recordStep(tx, ref, 'inventory.restock', { ...out, requestHash: hash });
    return out;
  });
  // The SKU's restocks commit one after another (its row lock), but their publishes race, and each
  // event carries the absolute stock: one sent ahead of an older restock still unsent (its publish
  // in flight, or failed) would leave a consumer with a stale stock. Then the relay sends both, in order.
  if (!(await hasOlderUnsent(rows))) await publishNow(rows);
  return stock;
}
