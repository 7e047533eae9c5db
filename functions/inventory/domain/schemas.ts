import { z } from 'zod';

/** A stock keeping unit: 1-64 characters, letters, digits, '.', '_' and '-' (same CHECK as the table). */
export const SkuSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a SKU is 1-64 letters, digits, ".", "_" or "-"');

export const LineSchema = z.object({ sku: SkuSchema, quantity: z.number().int().positive().max(10_000) });
export type Line = z.infer<typeof LineSchema>;

/** Saga task inputs (the Payload the ASL sends). */
export const ReserveInput = z.object({
  action: z.literal('reserve'),
  orderId: z.string().uuid(),
  items: z.array(LineSchema.passthrough()).min(1).max(100),
});
export const ReleaseInput = z.object({ action: z.literal('release'), orderId: z.string().uuid() });

export interface ReserveResult {
  readonly reservationId: string;
  readonly lines: readonly Line[];
}
export interface ReleaseResult {
  readonly released: boolean;
  readonly lines: readonly Line[];
}

/** The most a SKU can hold: inventory.stock is an integer column (a restock past it is a 400, see addStock). */
export const MAX_STOCK = 2_147_483_647;

/** HTTP: GET /inventory/{sku}, POST /inventory/{sku}/restock */
export const SkuPathSchema = z.object({ sku: SkuSchema });
export const RestockBodySchema = z.object({
  quantity: z.number().int().positive().max(1_000_000),
  /** Required when the SKU is new; changes the price otherwise. */
  priceCents: z.number().int().nonnegative().max(100_000_000).optional(),
});
export type RestockBody = z.infer<typeof RestockBodySchema>;
export const StockSchema = z.object({ sku: SkuSchema, stock: z.number().int().nonnegative(), priceCents: z.number().int().nonnegative(), updatedAt: z.string() });
export type Stock = z.infer<typeof StockSchema>;

/** Events on `inventory-events` (source shop.inventory). */
export const InventoryReservedData = z.object({ orderId: z.string(), lines: z.array(LineSchema) });
export const InventoryReleasedData = z.object({ orderId: z.string(), lines: z.array(LineSchema) });
export const InventoryRestockedData = z.object({ sku: SkuSchema, quantity: z.number().int(), stock: z.number().int() });
export const INVENTORY_EVENT_SOURCE = 'shop.inventory';
export const INVENTORY_TOPIC = 'inventory-events';
