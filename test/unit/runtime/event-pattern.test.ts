import { matchesPattern } from '../../../local/runtime/event-pattern';

const event = {
  source: 'shop.order',
  'detail-type': 'OrderCompleted',
  detail: { orderId: 'o-1', amountCents: 1500, status: 'CONFIRMED', tags: ['gift', 'eu'], customer: { tier: 'gold' } },
};

describe('EventBridge pattern matching', () => {
  it('matches source and detail-type values (OR within a field, AND across fields)', () => {
    expect(matchesPattern({ source: ['shop.order'], 'detail-type': ['OrderCompleted', 'OrderFailed'] }, event)).toBe(true);
    expect(matchesPattern({ source: ['shop.order'], 'detail-type': ['OrderFailed'] }, event)).toBe(false);
  });
  it('matches nested detail fields and arrays in the event', () => {
    expect(matchesPattern({ detail: { customer: { tier: ['gold'] }, tags: ['eu'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { customer: { tier: ['silver'] } } }, event)).toBe(false);
  });
  it('supports prefix, anything-but, exists and numeric', () => {
    expect(matchesPattern({ source: [{ prefix: 'shop.' }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': ['CANCELLED'] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': 'CONFIRMED' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { orderId: [{ exists: true }], refund: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { refund: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { amountCents: [{ numeric: ['>', 1000, '<=', 1500] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { amountCents: [{ numeric: ['<', 1000] }] } }, event)).toBe(false);
  });
  it('rejects when a field is missing from the event', () => {
    expect(matchesPattern({ detail: { missing: ['x'] } }, event)).toBe(false);
    expect(matchesPattern({ account: ['1'] }, event)).toBe(false);
  });
  it('throws when a pattern uses an unsupported operator', () => {
    expect(() => matchesPattern({ source: [{ wildcard: 'shop.*' }] }, event)).toThrow(/unsupported event pattern operator/);
  });
});
