import { decodeRecords, MskEventSchema } from '../../../functions/catalog/handlers/projector';
import { toEnvelope } from '../../../functions/catalog/adapters/kafka-publisher';
import type { ProductState } from '../../../functions/catalog/domain/product';

process.env.CATALOG_ALLOW_UNAUTHENTICATED_ADMIN = 'false';

const state: ProductState = { productId: 'p1', version: 2, name: 'Lamp', description: '', category: 'home', price: 3, popularity: 0, inStock: true, status: 'active', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
const item = { kind: 'event' as const, eventId: 'e1', aggregateId: 'p1', version: 2, seq: 7, time: '2026-01-01T00:00:00.000Z', event: { type: 'ProductPriceChanged' as const, data: { price: 3, previousPrice: 2 } }, state };
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');

describe('projector record decoding', () => {
  it('decodes an envelope from the relay', () => {
    const ev = MskEventSchema.parse({ eventSource: 'aws:kafka', records: { 'catalog-events-0': [{ topic: 'catalog-events', partition: 0, offset: 1, timestamp: 1, key: b64('p1'), value: b64(toEnvelope(item)), headers: [] }] } });
    const out = decodeRecords(ev);
    expect(out.poison).toEqual([]);
    expect(out.events).toEqual([{ state, time: item.time }]);
  });

  it('returns poison records with their error instead of throwing', () => {
    const ev = MskEventSchema.parse({
      eventSource: 'aws:kafka',
      records: {
        'catalog-events-1': [
          { topic: 'catalog-events', partition: 1, offset: 5, value: b64('not json') },
          { topic: 'catalog-events', partition: 1, offset: 6, value: b64({ ...toEnvelope(item), data: { productId: 'p1' } }) },
        ],
      },
    });
    const out = decodeRecords(ev);
    expect(out.events).toEqual([]);
    expect(out.poison.map((p) => p.offset)).toEqual([5, 6]);
    expect(out.poison[1]!.error).toMatch(/state/);
  });

  it('rejects an event that is not from Kafka', () => {
    expect(MskEventSchema.safeParse({ Records: [] }).success).toBe(false);
  });
});

import { MongoServerSelectionError } from 'mongodb';
import { asDependencyError } from '../../../functions/catalog/adapters/dependency-errors';
import { ConflictError, DependencyUnavailableError } from '../../../functions/shared/errors';

describe('store outages', () => {
  it('maps an unreachable Mongo to DependencyUnavailableError (503), not a 500', () => {
    const e = asDependencyError(new MongoServerSelectionError('connect ECONNREFUSED', {} as never));
    expect(e).toBeInstanceOf(DependencyUnavailableError);
    expect((e as DependencyUnavailableError).dependency).toBe('docdb');
  });
  it('leaves domain errors and unknown errors alone', () => {
    const c = new ConflictError('x');
    expect(asDependencyError(c)).toBe(c);
    const other = new TypeError('bug');
    expect(asDependencyError(other)).toBe(other);
  });
});
