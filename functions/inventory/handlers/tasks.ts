import { taskHandler } from '../../shared/saga-task';
import { ReleaseInput, ReserveInput } from '../domain/schemas';
import { releaseInventory, reserveInventory } from '../use-cases/reservations';

/** InventoryTasks: the saga's ReserveInventory and ReleaseInventory states (dispatch on `action`). */
export const handler = taskHandler('inventory', {
  reserve: { schema: ReserveInput, run: (i: { orderId: string; items: Array<{ sku: string; quantity: number }> }) => reserveInventory(i) },
  release: { schema: ReleaseInput, run: (i: { orderId: string }) => releaseInventory(i) },
});
