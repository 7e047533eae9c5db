import { withTransaction } from '../../shared/adapters/pg';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import { lockOrderSteps, recordStep } from '../../shared/idempotency';
import { enqueue, publishNow, type OutboxRow } from '../../shared/outbox';
import { addStock, readStock } from '../adapters/pg-inventory';
import { INVENTORY_EVENT_SOURCE, INVENTORY_TOPIC, type RestockBody, type Stock } from '../domain/schemas';

export async function getStock(sku: string): Promise<Stock> {
  const s = await readStock(sku);
  if (!s) throw new NotFoundError(`SKU ${sku} not found`);
  return s;
}

/**
 * Adds stock (creates the SKU when a price is given). With an idempotency key the same restock
 * sent twice adds once and answers the same.
 */
export async function restock(sku: string, body: RestockBody, idempotencyKey?: string): Promise<Stock> {
  let rows: OutboxRow[] = [];
  const stock = await withTransaction(async (tx) => {
    const ref = idempotencyKey ? `restock:${sku}:${idempotencyKey}` : undefined;
    if (ref) {
      const done = await lockOrderSteps(tx, 'inventory', ref);
      if (done.has('inventory.restock')) return done.get('inventory.restock') as Stock;
    }
    const r = await addStock(tx, sku, body.quantity, body.priceCents);
    if (!r) throw new ValidationError(`SKU ${sku} is new: priceCents is required`, [{ path: 'priceCents', message: 'required for a new SKU' }]);
    const out: Stock = { sku, stock: r.stock, priceCents: r.priceCents, updatedAt: r.updatedAt.toISOString() };
    rows = await enqueue(tx, [{ topic: INVENTORY_TOPIC, key: sku, event: envelope({ type: 'InventoryRestocked', source: INVENTORY_EVENT_SOURCE, data: { sku, quantity: body.quantity, stock: r.stock } }) }]);
    if (ref) await recordStep(tx, ref, 'inventory.restock', out);
    return out;
  });
  await publishNow(rows);
  return stock;
}
