import { ConflictError, NotFoundError } from '../../shared/errors';

export interface Shortage {
  readonly sku: string;
  readonly requested: number;
  readonly available: number;
}

/** Not enough stock for at least one line: nothing was reserved (all-or-nothing). */
export class OutOfStockError extends ConflictError {
  constructor(readonly shortages: readonly Shortage[]) {
    super(`out of stock: ${shortages.map((s) => `${s.sku} requested ${s.requested}, available ${s.available}`).join('; ')}`, 'OUT_OF_STOCK');
    this.name = 'OutOfStockError';
  }
}

/** A line names a SKU the inventory does not know. */
export class UnknownSkuError extends NotFoundError {
  constructor(readonly skus: readonly string[]) {
    super(`unknown SKU: ${skus.join(', ')}`);
    this.name = 'UnknownSkuError';
  }
}

/** The order's reservation was already released (compensated): a late reserve must not take stock again. */
export class ReservationCompensatedError extends ConflictError {
  constructor(readonly orderId: string) {
    super(`inventory of order ${orderId} was already released; not reserving again`, 'RESERVATION_COMPENSATED');
    this.name = 'ReservationCompensatedError';
  }
}
