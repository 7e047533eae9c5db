import { catalogService } from './services/catalog';
import { inventoryService } from './services/inventory';
import { orderService } from './services/order';
import { notificationService, platformService, userService, web3Service } from './services/others';
import { paymentService } from './services/payment';
import type { HandlerDef, PlatformManifest, RouteDef, ServiceDef } from './types';

export * from './types';

const SEVEN_DAYS = 168;

export const manifest: PlatformManifest = {
  eventSourcePrefix: 'shop',
  services: [orderService, inventoryService, paymentService, catalogService, userService, notificationService, web3Service, platformService],
  topics: [
    { name: 'order-created', partitions: 6, retentionHours: SEVEN_DAYS, description: 'OrderCreated, from the order API and the outbox relay' },
    { name: 'order-completed', partitions: 3, retentionHours: SEVEN_DAYS, description: 'OrderCompleted, end of a successful saga' },
    { name: 'order-failed', partitions: 3, retentionHours: SEVEN_DAYS, description: 'OrderFailed, end of a compensated saga' },
    { name: 'inventory-events', partitions: 3, retentionHours: SEVEN_DAYS, description: 'InventoryReserved / InventoryReleased / Restocked' },
    { name: 'payment-events', partitions: 3, retentionHours: SEVEN_DAYS, description: 'PaymentAuthorized / Captured / Refunded / Voided' },
    { name: 'catalog-events', partitions: 6, retentionHours: SEVEN_DAYS, description: 'Catalog event-store events, keyed by product id' },
    { name: 'user-events', partitions: 3, retentionHours: SEVEN_DAYS, description: 'UserRegistered' },
    { name: 'dead-letter', partitions: 3, retentionHours: SEVEN_DAYS, description: 'Poison messages with their error' },
  ],
  stateMachines: [
    {
      name: 'OrderSaga',
      definitionFile: 'statemachines/order-saga.asl.json',
      taskFunctions: {
        InventoryTasksFunctionArn: 'InventoryTasks',
        PaymentTasksFunctionArn: 'PaymentTasks',
        OrderTasksFunctionArn: 'OrderTasks',
      },
      otherPlaceholders: ['EventBusName'],
    },
  ],
};

export function allHandlers(m: PlatformManifest = manifest): Array<HandlerDef & { service: ServiceDef['name'] }> {
  return m.services.flatMap((s) => s.handlers.map((h) => ({ ...h, service: s.name })));
}

/** Handlers by name, built once per manifest object (the local runtime looks one up on every invoke). */
const byName = new WeakMap<PlatformManifest, Map<string, HandlerDef & { service: ServiceDef['name'] }>>();
export function handlerByName(name: string, m: PlatformManifest = manifest): HandlerDef & { service: ServiceDef['name'] } {
  let index = byName.get(m);
  if (!index) byName.set(m, (index = new Map(allHandlers(m).map((h) => [h.name, h]))));
  const h = index.get(name);
  if (!h) throw new Error(`manifest has no handler named '${name}'`);
  return h;
}

export function allRoutes(m: PlatformManifest = manifest): Array<RouteDef & { handler: string; service: ServiceDef['name'] }> {
  return allHandlers(m).flatMap((h) => (h.routes ?? []).map((r) => ({ ...r, handler: h.name, service: h.service })));
}

/** Throws when two entries share a name or a route, or a consumer reads an undeclared topic. */
export function validateManifest(m: PlatformManifest = manifest): void {
  const names = new Set<string>();
  for (const h of allHandlers(m)) {
    if (names.has(h.name)) throw new Error(`duplicate handler name '${h.name}'`);
    names.add(h.name);
  }
  const routes = new Set<string>();
  for (const r of allRoutes(m)) {
    const key = `${r.method} ${r.path}`;
    if (routes.has(key)) throw new Error(`duplicate route '${key}'`);
    routes.add(key);
  }
  const topics = new Set(m.topics.map((t) => t.name));
  for (const h of allHandlers(m)) {
    for (const t of [...(h.consumes ?? []).map((c) => c.topic), ...(h.produces ?? [])]) {
      if (!topics.has(t)) throw new Error(`handler '${h.name}' uses undeclared topic '${t}'`);
    }
  }
  for (const sm of m.stateMachines) {
    for (const [ph, hn] of Object.entries(sm.taskFunctions)) {
      if (!names.has(hn)) throw new Error(`state machine '${sm.name}' placeholder '${ph}' names unknown handler '${hn}'`);
    }
  }
}
