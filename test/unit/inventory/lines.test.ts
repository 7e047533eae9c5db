import { mergeLines } from '../../../functions/inventory/use-cases/lines';
import { ReserveInput, RestockBodySchema, SkuSchema } from '../../../functions/inventory/domain/schemas';
import { OutOfStockError, UnknownSkuError } from '../../../functions/inventory/domain/errors';
import { ConflictError } from '../../../functions/shared/errors';

describe('inventory lines', () => {
  it('merges lines of the same SKU and sorts by SKU (the row lock order)', () => {
    expect(mergeLines([{ sku: 'b', quantity: 1 }, { sku: 'a', quantity: 2 }, { sku: 'b', quantity: 3 }])).toEqual([
      { sku: 'a', quantity: 2 },
      { sku: 'b', quantity: 4 },
    ]);
  });

  it('rejects SKUs the table CHECK would reject', () => {
    for (const bad of ['', '-lead', 'has space', 'x'.repeat(65), 'ü']) expect(SkuSchema.safeParse(bad).success).toBe(false);
    for (const ok of ['A', 'sku-1.2_3', 'x'.repeat(64)]) expect(SkuSchema.safeParse(ok).success).toBe(true);
  });

  it('rejects a reserve payload without a uuid order id or with a zero quantity', () => {
    expect(ReserveInput.safeParse({ action: 'reserve', orderId: 'o', items: [{ sku: 'a', quantity: 1 }] }).success).toBe(false);
    expect(ReserveInput.safeParse({ action: 'reserve', orderId: '7d0c6c9e-8f8e-4c55-9a44-2b1cf3a2f0a1', items: [{ sku: 'a', quantity: 0 }] }).success).toBe(false);
  });

  it('rejects a restock without a positive integer quantity', () => {
    expect(RestockBodySchema.safeParse({ quantity: 1.5 }).success).toBe(false);
    expect(RestockBodySchema.safeParse({ quantity: 0 }).success).toBe(false);
    expect(RestockBodySchema.safeParse({ quantity: 3, priceCents: 10 }).success).toBe(true);
  });

  it('names its errors with literals the ASL matches on, and maps them as conflicts / not found', () => {
    const e = new OutOfStockError([{ sku: 'a', requested: 2, available: 1 }]);
    expect(e.name).toBe('OutOfStockError');
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('out of stock: a requested 2, available 1');
    expect(new UnknownSkuError(['z']).name).toBe('UnknownSkuError');
  });
});
