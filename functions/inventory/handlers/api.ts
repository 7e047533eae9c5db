import { header, httpHandler, json, parseBody, parsePath, requireCaller } from '../../shared/http';
import { ForbiddenError, ValidationError } from '../../shared/errors';
import { RestockBodySchema, SkuPathSchema } from '../domain/schemas';
import { getStock, restock } from '../use-cases/stock';

/** InventoryApi: GET /inventory/{sku} (public), POST /inventory/{sku}/restock (admin, optional Idempotency-Key: without one a retry adds again, see restock). */
export const handler = httpHandler(async (event) => {
  const { sku } = parsePath(event, SkuPathSchema);
  if (event.httpMethod === 'GET') return json(200, await getStock(sku));
  const caller = requireCaller(event);
  if (!caller.roles.includes('admin')) throw new ForbiddenError('restocking needs the admin role');
  const key = header(event, 'Idempotency-Key');
  if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) throw new ValidationError('invalid Idempotency-Key header', [{ path: 'headers.Idempotency-Key', message: '1-128 visible ASCII characters' }]);
  const body = parseBody(event, RestockBodySchema);
  return json(200, await restock(sku, body, key));
});
