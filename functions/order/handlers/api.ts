import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { header, httpHandler, json, parseBody, parsePath, parseQuery, requireCaller } from '../../shared/http';
import { count } from '../adapters/metrics';
import { IdempotencyKeySchema, ListOrdersQuerySchema, OrderIdPathSchema, PlaceOrderBodySchema } from '../domain/schemas';
import { placeOrder } from '../use-cases/place-order';
import { getOrder, listMyOrders } from '../use-cases/queries';
import { cancelByCustomer } from '../use-cases/saga-steps';

const config = loadConfig(z.object({ SHOP_CURRENCY: z.string().length(3).default('EUR') }));
const deps = { currency: config.SHOP_CURRENCY, onPlaced: () => count('OrdersPlaced') };

function idempotencyKey(event: Parameters<typeof header>[0]): string | undefined {
  const raw = header(event, 'Idempotency-Key');
  if (raw === undefined) return undefined;
  const k = IdempotencyKeySchema.safeParse(raw);
  if (!k.success) throw new ValidationError('invalid Idempotency-Key header', [{ path: 'headers.Idempotency-Key', message: k.error.issues[0]?.message ?? 'invalid' }]);
  return k.data;
}

/** OrderApi: POST /orders, GET /orders, GET /orders/{id}, POST /orders/{id}/cancel (thin adapter). */
export const handler = httpHandler(async (event) => {
  const caller = requireCaller(event);
  switch (`${event.httpMethod} ${event.resource}`) {
    case 'POST /orders': {
      const key = idempotencyKey(event);
      const body = parseBody(event, PlaceOrderBodySchema);
      const r = await placeOrder(deps, caller, body, key);
      return json(202, { orderId: r.orderId, status: r.status }, { location: `/orders/${r.orderId}`, ...(r.replayed ? { 'idempotent-replayed': 'true' } : {}) });
    }
    case 'GET /orders':
      return json(200, await listMyOrders(caller, parseQuery(event, ListOrdersQuerySchema)));
    case 'GET /orders/{id}':
      return json(200, await getOrder(caller, parsePath(event, OrderIdPathSchema).id));
    case 'POST /orders/{id}/cancel':
      return json(200, await cancelByCustomer(caller, parsePath(event, OrderIdPathSchema).id));
    default:
      throw new NotFoundError(`no route ${event.httpMethod} ${event.resource}`);
  }
});
