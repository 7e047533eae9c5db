import { ConflictError, NotFoundError } from '../../../functions/shared/errors';
import {
  decideAdjustPopularity,
  decideChangePrice,
  decideCreate,
  decideRetire,
  decideUpdateDetails,
  evolve,
  replay,
  type ProductEvent,
  type ProductState,
} from '../../../functions/catalog/domain/product';

const T = '2026-01-01T00:00:00.000Z';
const created: ProductEvent = { type: 'ProductCreated', data: { name: 'Lamp', description: 'A desk lamp', category: 'home', price: 19.999, popularity: 3, inStock: true } };

function state(): ProductState {
  return evolve(undefined, { aggregateId: 'p1', version: 1, time: T, event: decideCreate(undefined, 'p1', created.data as never) });
}

describe('product aggregate', () => {
  it('creates with a rounded price and active status', () => {
    const s = state();
    expect(s).toMatchObject({ productId: 'p1', version: 1, price: 20, status: 'active', createdAt: T });
  });

  it('folds every event type through replay', () => {
    const events = [
      { aggregateId: 'p1', version: 1, time: T, event: created },
      { aggregateId: 'p1', version: 2, time: T, event: { type: 'ProductDetailsUpdated', data: { name: 'Big lamp', inStock: false } } as ProductEvent },
      { aggregateId: 'p1', version: 3, time: T, event: { type: 'ProductPriceChanged', data: { price: 25, previousPrice: 19.999 } } as ProductEvent },
      { aggregateId: 'p1', version: 4, time: T, event: { type: 'ProductPopularityAdjusted', data: { delta: 4, popularity: 7 } } as ProductEvent },
      { aggregateId: 'p1', version: 5, time: '2026-01-02T00:00:00.000Z', event: { type: 'ProductRetired', data: {} } as ProductEvent },
    ];
    const s = replay(events)!;
    expect(s).toMatchObject({ version: 5, name: 'Big lamp', description: 'A desk lamp', inStock: false, price: 25, popularity: 7, status: 'retired', updatedAt: '2026-01-02T00:00:00.000Z' });
  });

  it('throws when the stream skips a version', () => {
    const s = state();
    expect(() => replay([{ aggregateId: 'p1', version: 3, time: T, event: { type: 'ProductRetired', data: {} } }], s)).toThrow(/jumps from v1 to v3/);
  });

  it('throws when an event comes before ProductCreated', () => {
    expect(() => evolve(undefined, { aggregateId: 'p1', version: 1, time: T, event: { type: 'ProductRetired', data: {} } })).toThrow(/no ProductCreated/);
  });

  it('rejects a stale expectedVersion with a VERSION_CONFLICT', () => {
    const s = state();
    expect(() => decideChangePrice(s, 'p1', 2, 10)).toThrow(ConflictError);
    try {
      decideUpdateDetails(s, 'p1', 7, { name: 'x' });
    } catch (e) {
      expect((e as ConflictError).code).toBe('VERSION_CONFLICT');
    }
  });

  it('rejects commands on a missing product with NotFoundError', () => {
    expect(() => decideRetire(undefined, 'nope', 1)).toThrow(NotFoundError);
  });

  it('rejects a second create', () => {
    expect(() => decideCreate(state(), 'p1', created.data as never)).toThrow(ConflictError);
  });

  it('rejects commands on a retired product', () => {
    const retired = evolve(state(), { aggregateId: 'p1', version: 2, time: T, event: decideRetire(state(), 'p1', 1) });
    expect(() => decideChangePrice(retired, 'p1', 2, 5)).toThrow(/retired/);
  });

  it('keeps popularity at zero or above', () => {
    const e = decideAdjustPopularity(state(), 'p1', 1, -100);
    expect(e).toEqual({ type: 'ProductPopularityAdjusted', data: { delta: -100, popularity: 0 } });
  });

  it('records the previous price', () => {
    expect(decideChangePrice(state(), 'p1', 1, 9.999)).toEqual({ type: 'ProductPriceChanged', data: { price: 10, previousPrice: 20 } });
  });
});
