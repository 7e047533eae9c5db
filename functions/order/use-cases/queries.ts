import { NotFoundError, ValidationError } from '../../shared/errors';
import type { Caller } from '../../shared/http';
import { getOrderView, listOrders } from '../adapters/pg-orders';
import type { OrderView } from '../domain/schemas';

/** One order of the caller; another user's order is a 404 (its existence is not disclosed). */
export async function getOrder(caller: Caller, orderId: string): Promise<OrderView> {
  const o = await getOrderView(orderId);
  if (!o || o.userId !== caller.userId) throw new NotFoundError(`order ${orderId} not found`);
  const { userId: _u, ...view } = o;
  return view;
}

export function encodeCursor(ts: string, id: string): string {
  return Buffer.from(JSON.stringify([ts, id])).toString('base64url');
}
export function decodeCursor(cursor: string): { ts: string; id: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && /^[0-9a-f-]{36}$/i.test(v[1])) return { ts: v[0], id: v[1] };
  } catch {
    /* fall through */
  }
  throw new ValidationError('invalid query: query.cursor', [{ path: 'query.cursor', message: 'not a cursor returned by this API' }]);
}

/** The caller's orders, newest first, `limit` per page; `nextCursor` is null on the last page. */
export async function listMyOrders(caller: Caller, q: { limit: number; cursor?: string | undefined }): Promise<{ items: Array<Omit<OrderView, 'items'>>; nextCursor: string | null }> {
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  const rows = await listOrders(caller.userId, q.limit + 1, after);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursorTs: _c, ...o }) => o),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.cursorTs, last.orderId) : null,
  };
}
