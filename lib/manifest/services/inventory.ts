import type { ServiceDef } from '../types';

export const inventoryService: ServiceDef = {
  name: 'inventory',
  description: 'Stock per SKU; all-or-nothing reservations that never go below zero; idempotent on (order id, step).',
  handlers: [
    {
      name: 'InventoryApi',
      kind: 'http',
      entry: 'functions/inventory/handlers/api.ts',
      description: 'GET /inventory/{sku}, POST /inventory/{sku}/restock',
      routes: [
        { method: 'GET', path: '/inventory/{sku}', auth: 'public', summary: 'Stock of one SKU' },
        { method: 'POST', path: '/inventory/{sku}/restock', auth: 'admin', summary: 'Add stock to a SKU' },
      ],
      stores: ['postgres'],
      implemented: false,
    },
    {
      name: 'InventoryTasks',
      kind: 'task',
      entry: 'functions/inventory/handlers/tasks.ts',
      description: 'Saga tasks: ReserveInventory, ReleaseInventory',
      produces: ['inventory-events'],
      stores: ['postgres', 'kafka-producer'],
      reservedConcurrency: 50,
      implemented: false,
    },
  ],
};
