import { randomUUID } from 'node:crypto';
import { envelope } from '../../../functions/shared/events';
import { cancellationReason, formatAmount, orderCancelled, orderConfirmed, shortId, welcome } from '../../../functions/notification/domain/templates';
import { parseNotificationEvent } from '../../../functions/notification/domain/events';

const orderId = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('notification templates', () => {
  it('formats amounts with the currency minor units', () => {
    expect(formatAmount(12345, 'EUR')).toBe('€123.45');
    expect(formatAmount(5, 'USD')).toBe('$0.05');
    expect(formatAmount(500, 'JPY')).toBe('¥500');
    expect(formatAmount(1234, 'eur')).toBe('€12.34');
    expect(formatAmount(1234, 'NOT-A-CODE')).toBe('12.34 NOT-A-CODE');
  });

  it('renders order-confirmed with the short id and the amount', () => {
    const r = orderConfirmed({ orderId, amountCents: 4200, currency: 'EUR' });
    expect(shortId(orderId)).toBe('0f8fad5b');
    expect(r.template).toBe('order-confirmed');
    expect(r.subject).toBe('Your order 0f8fad5b is confirmed');
    expect(r.body).toContain('Your payment of €42.00 was received and order 0f8fad5b is confirmed.');
    expect(r.body).toContain(`Order reference: ${orderId}`);
  });

  it.each([
    ['OutOfStockError', 'an item in it is out of stock'],
    ['PaymentDeclinedError', 'the payment was declined'],
    ['CancelledByCustomer', 'you cancelled it'],
    ['PaymentTimeoutError', 'we could not complete it'],
    ['States.TaskFailed', 'we could not complete it'],
  ])('renders order-cancelled for %s in the customer\'s words', (error, reason) => {
    expect(cancellationReason(error)).toBe(reason);
    const r = orderCancelled({ orderId, error });
    expect(r.template).toBe('order-cancelled');
    expect(r.subject).toBe('Your order 0f8fad5b was cancelled');
    expect(r.body).toContain(`was cancelled because ${reason}.`);
    expect(r.body).not.toContain(error);
  });

  it('renders welcome', () => {
    const r = welcome({ email: 'ada@example.com' });
    expect(r).toMatchObject({ template: 'welcome', subject: 'Welcome to the shop' });
    expect(r.body).toContain('your account ada@example.com is ready');
  });
});

describe('parseNotificationEvent', () => {
  const userId = randomUUID();
  it('maps each known event to its template, validating data with the producers\' schemas', () => {
    const ok = envelope({ type: 'OrderCompleted', source: 'shop.order', orderId, data: { orderId, userId, amountCents: 100, currency: 'EUR' } });
    expect(parseNotificationEvent(JSON.stringify(ok))).toEqual({ kind: 'notify', request: { ...orderConfirmed({ orderId, amountCents: 100, currency: 'EUR' }), eventId: ok.id, eventType: 'OrderCompleted', userId } });
    const ko = envelope({ type: 'OrderFailed', source: 'shop.order', orderId, data: { orderId, userId, error: 'OutOfStockError', cause: 'x' } });
    expect(parseNotificationEvent(JSON.stringify(ko))).toMatchObject({ kind: 'notify', request: { template: 'order-cancelled', userId, eventId: ko.id } });
    const hi = envelope({ type: 'UserRegistered', source: 'shop.user', data: { userId, email: 'a@b.c' } });
    expect(parseNotificationEvent(JSON.stringify(hi))).toMatchObject({ kind: 'notify', request: { template: 'welcome', userId } });
  });

  it('ignores types it has no template for, including Object.prototype names', () => {
    for (const type of ['UserLoggedIn', 'constructor', 'toString', '__proto__']) {
      expect(parseNotificationEvent(JSON.stringify(envelope({ type, source: 's', data: {} })))).toEqual({ kind: 'ignored', type });
    }
  });

  it('calls poison what is not JSON, not an envelope, a non-uuid id, or bad data', () => {
    expect(parseNotificationEvent('{nope')).toEqual({ kind: 'poison', error: 'not JSON' });
    expect(parseNotificationEvent('{"type":"OrderCompleted"}')).toMatchObject({ kind: 'poison', error: expect.stringMatching(/^not an event envelope: id: .*; time: .*; source: /) });
    const badId = { ...envelope({ type: 'UserRegistered', source: 's', data: { userId, email: 'a@b.c' } }), id: 'evt-1' };
    expect(parseNotificationEvent(JSON.stringify(badId))).toEqual({ kind: 'poison', error: 'id: not a uuid' });
    const badData = envelope({ type: 'OrderCompleted', source: 's', data: { orderId: 'nope', userId, amountCents: 1.5, currency: 'EUR' } });
    expect(parseNotificationEvent(JSON.stringify(badData))).toEqual({ kind: 'poison', error: expect.stringMatching(/^OrderCompleted data: orderId: [^;]*uuid[^;]*; amountCents: [^;]*int/i) });
  });
});
