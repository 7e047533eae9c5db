import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvelopeSchema, envelope } from '../../../functions/shared/events';
import { OrderCompletedData, OrderCreatedData, OrderFailedData, PlaceOrderBodySchema } from '../../../functions/order/domain/schemas';
import { decodeCursor, encodeCursor } from '../../../functions/order/use-cases/queries';
import { readableCause } from '../../../functions/order/use-cases/saga-steps';
import { parseOrderCreated } from '../../../functions/order/use-cases/start-saga';
import { ValidationError } from '../../../functions/shared/errors';

const ORDER_ID = '0b4c1f8e-1d7a-4f62-9d83-5d2b8f0e6a11';
const data = { orderId: ORDER_ID, userId: 'u1', items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }], amountCents: 100, currency: 'EUR' };

describe('POST /orders body', () => {
  const issues = (v: unknown) => {
    const r = PlaceOrderBodySchema.safeParse(v);
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };
  it('accepts a valid order', () => {
    expect(issues({ items: [{ sku: 'A', quantity: 2 }], paymentToken: '4242424242424242' })).toEqual([]);
  });
  it('rejects duplicate SKUs, zero and fractional quantities, and bad tokens, naming each field', () => {
    expect(issues({ items: [{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 1 }], paymentToken: 'tok_1' })).toEqual(['items.1.sku']);
    expect(issues({ items: [{ sku: 'A', quantity: 0 }], paymentToken: 'tok_1' })).toEqual(['items.0.quantity']);
    expect(issues({ items: [{ sku: 'A', quantity: 1.5 }], paymentToken: 'tok_1' })).toEqual(['items.0.quantity']);
    expect(issues({ items: [{ sku: 'A', quantity: 1 }], paymentToken: 'a b' })).toEqual(['paymentToken']);
    expect(issues({ items: [], paymentToken: 'tok_1' })).toEqual(['items']);
  });
});

describe('order-created messages (saga starter)', () => {
  it('parses an OrderCreated envelope into the saga input', () => {
    const v = JSON.stringify(envelope({ type: 'OrderCreated', source: 'shop.order', orderId: ORDER_ID, data }));
    expect(parseOrderCreated(v)).toEqual({ ok: true, data });
  });
  it('rejects non-JSON, non-envelopes, other types and bad data with a reason (dead-letter)', () => {
    expect(parseOrderCreated('nope')).toEqual({ ok: false, error: 'value is not JSON' });
    expect(parseOrderCreated('{}')).toMatchObject({ ok: false, error: expect.stringContaining('not an event envelope') });
    expect(parseOrderCreated(JSON.stringify(envelope({ type: 'OrderFailed', source: 's', data })))).toMatchObject({ ok: false, error: 'unexpected event type OrderFailed' });
    expect(parseOrderCreated(JSON.stringify(envelope({ type: 'OrderCreated', source: 's', data: { ...data, items: [] } })))).toMatchObject({ ok: false, error: expect.stringContaining('data.items') });
  });
  it('drops the payment token of a version 1 OrderCreated, so it never reaches an execution input', () => {
    const v1 = JSON.stringify(envelope({ type: 'OrderCreated', source: 'shop.order', orderId: ORDER_ID, version: 1, data: { ...data, paymentToken: '4242424242424242' } }));
    expect(parseOrderCreated(v1)).toEqual({ ok: true, data });
  });
  it('keeps version 1 events readable (contract fixtures)', () => {
    const fixtures = JSON.parse(readFileSync(join(__dirname, 'events.v1.json'), 'utf8')) as Array<{ type: string }>;
    const schemas: Record<string, { safeParse: (v: unknown) => { success: boolean } }> = { OrderCreated: OrderCreatedData, OrderCompleted: OrderCompletedData, OrderFailed: OrderFailedData };
    expect(fixtures.map((f) => f.type).sort()).toEqual(['OrderCompleted', 'OrderCreated', 'OrderFailed']);
    for (const f of fixtures) {
      const env = EnvelopeSchema.parse(f);
      expect(schemas[env.type]!.safeParse(env.data).success).toBe(true);
    }
  });
});

describe('list cursor', () => {
  it('round-trips a microsecond timestamp and an id', () => {
    const c = encodeCursor('2026-11-25T12:00:00.123456Z', ORDER_ID);
    expect(decodeCursor(c)).toEqual({ ts: '2026-11-25T12:00:00.123456Z', id: ORDER_ID });
  });
  it('throws a ValidationError naming query.cursor for a forged cursor', () => {
    const forged = [
      'Zm9v',
      encodeCursor('not a date', ORDER_ID),
      Buffer.from('[1,2]').toString('base64url'),
      // Accepted by Date.parse or a loose id pattern, refused by PostgreSQL (which made them a 500):
      encodeCursor('1', '------------------------------------'),
      encodeCursor('2020-02-30T00:00:00.000000Z', ORDER_ID),
      encodeCursor('2020-01-01T25:00:00.000000Z', ORDER_ID),
      encodeCursor('2020-01-01', ORDER_ID),
      encodeCursor('0000-01-01T00:00:00.000000Z', ORDER_ID), // PostgreSQL has no year 0
      encodeCursor('2026-11-25T12:00:00.123456Z', '00000000-0000-0000-0000-00000000000g'),
    ];
    for (const bad of forged) {
      const err = (() => {
        try {
          decodeCursor(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path).toBe('query.cursor');
    }
  });
});

describe('cancel reason', () => {
  it('keeps the errorMessage of a Lambda error payload (AWS Cause) and plain text as is', () => {
    expect(readableCause(JSON.stringify({ errorType: 'OutOfStockError', errorMessage: 'out of stock: A', trace: [] }))).toBe('out of stock: A');
    expect(readableCause('plain')).toBe('plain');
    expect(readableCause(undefined)).toBe('');
    expect(readableCause('x'.repeat(5000))).toHaveLength(2000);
  });
});
