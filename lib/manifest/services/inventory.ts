import { ErrorResponseSchema } from '../../../functions/order/domain/schemas';
import { RestockBodySchema, SkuPathSchema, StockSchema } from '../../../functions/inventory/domain/schemas';
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
        {
          method: 'GET',
          path: '/inventory/{sku}',
          auth: 'public',
          summary: 'Stock and price of one SKU',
          request: { params: SkuPathSchema },
          responses: { 200: { description: 'Stock', schema: StockSchema }, 400: { description: 'Bad SKU', schema: ErrorResponseSchema }, 404: { description: 'Unknown SKU', schema: ErrorResponseSchema } },
        },
        {
          method: 'POST',
          path: '/inventory/{sku}/restock',
          auth: 'admin',
          summary: 'Add stock to a SKU (creates it when priceCents is given; optional Idempotency-Key)',
          request: { params: SkuPathSchema, body: RestockBodySchema },
          responses: { 200: { description: 'New stock', schema: StockSchema }, 400: { description: 'Invalid request; issues name each bad field', schema: ErrorResponseSchema } },
        },
      ],
      produces: ['inventory-events'],
      stores: ['postgres', 'kafka-producer', 'eventbus'],
      implemented: true,
    },
    {
      name: 'InventoryTasks',
      kind: 'task',
      entry: 'functions/inventory/handlers/tasks.ts',
      description: 'Saga tasks: ReserveInventory, ReleaseInventory (events via the outbox)',
      produces: ['inventory-events'],
      stores: ['postgres'],
      reservedConcurrency: 50,
      implemented: true,
    },
  ],
};
