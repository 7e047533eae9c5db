import { NotFoundError, ValidationError } from '../../shared/errors';
import type { Caller } from '../../shared/http';
import { getOrderView, listOrders } from '../adapters/pg-orders';
import type { OrderView } from '../domain/schemas';
import { isUuid } from '../../shared/uuid';

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
/** A cursor's timestamp exactly as listOrders writes it (UTC, microseconds). */
const CURSOR_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** A real instant: the format alone lets through 2020-02-30 or 25:00, which PostgreSQL refuses (a 500). */
const realInstant = (ts: string) => {
  const ms = Date.parse(ts);
  // ms >= 0: an order's creation is after 1970; PostgreSQL refuses year 0 (another 500).
  return !Number.isNaN(ms) && ms >= 0 && new Date(ms).toISOString().slice(0, 19) === ts.slice(0, 19);
};

/** The (created_at, id) a cursor stands for; anything this API did not write is a 400 naming query.cursor. */
export function decodeCursor(cursor: string): { ts: string; id: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && CURSOR_TS.test(v[0]) && realInstant(v[0]) && typeof v[1] === 'string' && isUuid(v[1])) return { ts: v[0], id: v[1] };
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
