import type { ServiceDef } from '../types';

export const orderService: ServiceDef = {
  name: 'order',
  description: 'Takes orders (PENDING + outbox in one transaction), publishes order-created, starts the saga, confirms or cancels.',
  handlers: [
    {
      name: 'OrderApi',
      kind: 'http',
      entry: 'functions/order/handlers/api.ts',
      description: 'POST/GET /orders, GET /orders/{id}, POST /orders/{id}/cancel',
      routes: [
        { method: 'POST', path: '/orders', auth: 'user', summary: 'Place an order (Idempotency-Key header); 202 with the order id' },
        { method: 'GET', path: '/orders', auth: 'user', summary: "The caller's orders, paginated" },
        { method: 'GET', path: '/orders/{id}', auth: 'user', summary: 'One order of the caller' },
        { method: 'POST', path: '/orders/{id}/cancel', auth: 'user', summary: 'Cancel an order while still cancellable' },
      ],
      produces: ['order-created'],
      stores: ['postgres', 'kafka-producer'],
      implemented: false,
    },
    {
      name: 'OrderOutboxRelay',
      kind: 'schedule',
      entry: 'functions/order/handlers/outbox-relay.ts',
      description: 'Sweeps outbox rows not yet published (crash, broker down) to Kafka',
      schedule: 'rate(1 minute)',
      produces: ['order-created'],
      stores: ['postgres', 'kafka-producer'],
      timeoutSeconds: 60,
      reservedConcurrency: 1,
      implemented: false,
    },
    {
      name: 'SagaStarter',
      kind: 'consumer',
      entry: 'functions/order/handlers/saga-starter.ts',
      description: 'Consumes order-created and starts the saga execution named by the order id',
      consumes: [{ topic: 'order-created', groupId: 'saga-starter', batchSize: 100 }],
      stores: ['saga'],
      implemented: false,
    },
    {
      name: 'OrderTasks',
      kind: 'task',
      entry: 'functions/order/handlers/tasks.ts',
      description: 'Saga tasks: ConfirmOrder, CancelOrder, PublishOrderEvent',
      produces: ['order-completed', 'order-failed'],
      stores: ['postgres', 'kafka-producer', 'eventbus'],
      implemented: false,
    },
  ],
};
