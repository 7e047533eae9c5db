import {
  ErrorResponseSchema,
  ListOrdersQuerySchema,
  OrderIdPathSchema,
  OrderListSchema,
  OrderViewSchema,
  PlaceOrderBodySchema,
  PlaceOrderResponseSchema,
} from '../../../functions/order/domain/schemas';
import type { ServiceDef } from '../types';

const bad = { 400: { description: 'Invalid request; issues name each bad field (unknown SKU included)', schema: ErrorResponseSchema } };
const auth = { 401: { description: 'Missing or invalid token', schema: ErrorResponseSchema } };
const notFound = { 404: { description: 'No such order of the caller', schema: ErrorResponseSchema } };

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
        {
          method: 'POST',
          path: '/orders',
          auth: 'user',
          summary: 'Place an order (Idempotency-Key header); 202 with the order id',
          request: { body: PlaceOrderBodySchema },
          responses: {
            202: { description: 'Accepted: the order is PENDING; the saga confirms or cancels it', schema: PlaceOrderResponseSchema },
            ...bad,
            ...auth,
            409: { description: 'Idempotency-Key reused with a different body', schema: ErrorResponseSchema },
            413: { description: 'Body larger than 64 KiB', schema: ErrorResponseSchema },
          },
        },
        {
          method: 'GET',
          path: '/orders',
          auth: 'user',
          summary: "The caller's orders, newest first, cursor-paginated",
          request: { query: ListOrdersQuerySchema },
          responses: { 200: { description: 'A page of orders', schema: OrderListSchema }, ...bad, ...auth },
        },
        {
          method: 'GET',
          path: '/orders/{id}',
          auth: 'user',
          summary: 'One order of the caller (with the failure reason when CANCELLED)',
          request: { params: OrderIdPathSchema },
          responses: { 200: { description: 'The order', schema: OrderViewSchema }, ...bad, ...auth, ...notFound },
        },
        {
          method: 'POST',
          path: '/orders/{id}/cancel',
          auth: 'user',
          summary: 'Cancel an order while still PENDING (before its payment is captured)',
          request: { params: OrderIdPathSchema },
          responses: {
            200: { description: 'CANCELLING (the saga stops before capturing, voids the authorization, releases the stock, then the order is CANCELLED); an order already cancelled answers its status', schema: PlaceOrderResponseSchema },
            ...bad,
            ...auth,
            ...notFound,
            409: { description: 'Too late: CONFIRMING (the payment is being captured) or CONFIRMED', schema: ErrorResponseSchema },
          },
        },
      ],
      produces: ['order-created'],
      stores: ['postgres', 'kafka-producer', 'eventbus'],
      implemented: true,
    },
    {
      name: 'OrderOutboxRelay',
      kind: 'schedule',
      entry: 'functions/order/handlers/outbox-relay.ts',
      description: 'Sweeps outbox rows not yet published (crash, broker down) to Kafka and EventBridge',
      schedule: 'rate(1 minute)',
      produces: ['order-created', 'order-completed', 'order-failed', 'inventory-events', 'payment-events'],
      stores: ['postgres', 'kafka-producer', 'eventbus'],
      timeoutSeconds: 60,
      reservedConcurrency: 1,
      implemented: true,
    },
    {
      name: 'OrderSagaSweeper',
      kind: 'schedule',
      entry: 'functions/order/handlers/saga-sweeper.ts',
      description: 'Drives orders still PENDING/CONFIRMING/CANCELLING after a threshold to a terminal state: starts a saga that never started, restarts one whose execution ended, runs only the compensations for a customer-cancelled one (SagaStuck after the restarts)',
      schedule: 'rate(1 minute)',
      stores: ['postgres', 'saga', 'saga-describe'],
      timeoutSeconds: 60,
      reservedConcurrency: 1,
      implemented: true,
    },
    {
      name: 'SagaStarter',
      kind: 'consumer',
      entry: 'functions/order/handlers/saga-starter.ts',
      description: 'Consumes order-created and starts the saga execution named by the order id',
      consumes: [{ topic: 'order-created', groupId: 'saga-starter', batchSize: 100 }],
      produces: ['dead-letter'],
      stores: ['saga', 'kafka-producer'],
      implemented: true,
    },
    {
      name: 'OrderTasks',
      kind: 'task',
      entry: 'functions/order/handlers/tasks.ts',
      description: 'Saga tasks: BeginConfirmation (the pivot), ConfirmOrder, CancelOrder, PublishOrderCompleted/PublishOrderFailed',
      produces: ['order-completed', 'order-failed', 'inventory-events', 'payment-events'],
      stores: ['postgres', 'kafka-producer', 'eventbus'],
      implemented: true,
    },
  ],
};
