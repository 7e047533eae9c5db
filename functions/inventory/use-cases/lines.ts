import type { Line } from '../domain/schemas';

/** Merges lines of the same SKU and sorts by SKU (the lock order). Pure. */
export function mergeLines(items: readonly Line[]): Line[] {
  const bySku = new Map<string, number>();
  for (const i of items) bySku.set(i.sku, (bySku.get(i.sku) ?? 0) + i.quantity);
  return [...bySku].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }));
}
