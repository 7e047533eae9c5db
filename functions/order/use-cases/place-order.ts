import { createHash, createHmac, randomUUID } from 'node:crypto';
import { UnprocessableError, ValidationError } from '../../shared/errors';
import { envelope } from '../../shared/events';
import type { Caller } from '../../shared/http';
import { publishNow } from '../../shared/outbox';
import { findByIdempotencyKey, hasWallet, insertOrder, type OrderRow } from '../adapters/pg-orders';
import { requestHashKey } from '../adapters/request-hash-key';
import { IdempotencyKeyReusedError } from '../../shared/errors';
import { ORDER_CREATED_VERSION, ORDER_EVENT_SOURCE, type OrderCreated, type OrderStatus, type PlaceOrderBody } from '../domain/schemas';

export const ORDER_CREATED_TOPIC = 'order-created';

export interface PlaceOrderResult {
  readonly orderId: string;
  readonly status: OrderStatus;
  /** True when an earlier request with the same Idempotency-Key made this order. */
  readonly replayed: boolean;
}

export interface PlaceOrderDeps {
  readonly currency: string;
  /** Called once per order actually created (metrics). */
  readonly onPlaced?: (orderId: string) => void;
}

/**
 * The request hash an Idempotency-Key is checked with: HMAC-SHA256 under the request-hash key
 * (adapters/request-hash-key.ts), prefixed `h1:`. The body holds the payment token, and a plain
 * SHA-256 of a card-number-like token could be brute-forced from a copy of the database.
 */
// A card order's text is what it was before payment methods existed, so their hashes still match.
const bodyText = (body: PlaceOrderBody) => JSON.stringify(body.paymentMethod === 'crypto' ? { items: body.items, paymentMethod: 'crypto' } : { items: body.items, paymentToken: body.paymentToken });
const hashOf = async (body: PlaceOrderBody) => `h1:${createHmac('sha256', await requestHashKey()).update(bodyText(body)).digest('hex')}`;
/** The unkeyed hash of orders placed before the keyed one (stop 17): still accepted for their replays. */
const legacyHashOf = (body: PlaceOrderBody) => createHash('sha256').update(bodyText(body)).digest('hex');

function replay(existing: OrderRow, hash: string, body: PlaceOrderBody): PlaceOrderResult {
  const same = existing.request_hash === hash || (existing.request_hash !== null && !existing.request_hash.startsWith('h1:') && existing.request_hash === legacyHashOf(body));
  if (!same) throw new IdempotencyKeyReusedError();
  return { orderId: existing.id, status: existing.status, replayed: true };
}

/**
 * Places an order: prices read, PENDING order + lines + OrderCreated outbox row written in ONE
 * statement (the payment token only in the order's row, never in the event) (an unknown SKU writes nothing and is a 400 naming the line), then
 * publishes the row to Kafka `order-created` right after the commit (best effort: if that fails
 * the relay sends it). With an Idempotency-Key the same request twice makes one order and gets the
 * same answer; the same key with another body is a 409.
 */
export async function placeOrder(deps: PlaceOrderDeps, caller: Caller, body: PlaceOrderBody, idempotencyKey?: string): Promise<PlaceOrderResult> {
  // A crypto order is paid from a wallet the customer signed in with (the payment is attributed by its
  // sender): without one it could never be paid, and its stock would be held for the whole window.
  if (body.paymentMethod === 'crypto' && !(await hasWallet(caller.userId))) {
    throw new UnprocessableError('paymentMethod: crypto needs a wallet: sign in with Ethereum first (POST /web3/nonce, POST /web3/verify)', [{ path: 'paymentMethod', message: 'crypto needs a wallet you signed in with' }]);
  }
  const hash = await hashOf(body);
  const orderId = randomUUID();
  const eventId = randomUUID();
  const time = new Date();
  // The prices are read in the insert statement: the stored payload gets data.items / data.amountCents there.
  const draft: OrderCreated = { orderId, userId: caller.userId, items: [], amountCents: 0, currency: deps.currency };
  const { unitPriceCents, outboxId } = await insertOrder(
    { id: orderId, userId: caller.userId, currency: deps.currency, paymentMethod: body.paymentMethod, paymentToken: body.paymentToken ?? null, idempotencyKey, requestHash: hash, items: body.items.map((it) => ({ sku: it.sku, quantity: it.quantity })) },
    { eventId, topic: ORDER_CREATED_TOPIC, payload: envelope({ id: eventId, time, type: 'OrderCreated', version: ORDER_CREATED_VERSION, source: ORDER_EVENT_SOURCE, orderId, data: draft }) },
  );
  const unknown = body.items.flatMap((it, i) => (unitPriceCents[i] != null ? [] : [{ path: `items.${i}.sku`, message: `unknown SKU ${it.sku}` }]));
  if (unknown.length > 0) throw new ValidationError(`invalid request body: ${unknown.map((u) => u.path).join(', ')}`, unknown);

  const items = body.items.map((it, i) => ({ sku: it.sku, quantity: it.quantity, unitPriceCents: unitPriceCents[i]! }));
  const amountCents = items.reduce((s, it) => s + it.quantity * it.unitPriceCents, 0);
  const data: OrderCreated = { orderId, userId: caller.userId, items, amountCents, currency: deps.currency };
  const event = envelope({ id: eventId, time, type: 'OrderCreated', version: ORDER_CREATED_VERSION, source: ORDER_EVENT_SOURCE, orderId, data });
  if (outboxId === undefined) {
    // The same key was used before (or by a concurrent request that committed first).
    const existing = await findByIdempotencyKey(caller.userId, idempotencyKey!);
    if (!existing) throw new Error('idempotency conflict without an existing order');
    return replay(existing, hash, body);
  }
  deps.onPlaced?.(orderId);
  await publishNow([{ id: outboxId, topic: ORDER_CREATED_TOPIC, key: orderId, event }]);
  return { orderId, status: 'PENDING', replayed: false };
}
