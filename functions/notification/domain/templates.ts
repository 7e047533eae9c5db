/**
 * Notification templates: plain text, rendered from an event's validated `data` only (no I/O), so
 * a redelivered event renders the same subject and body.
 */
export type TemplateName = 'order-confirmed' | 'order-cancelled' | 'welcome';

export interface Rendered {
  readonly template: TemplateName;
  readonly subject: string;
  readonly body: string;
}

/** The first 8 characters of an order id: what a customer reads in a subject line. */
export function shortId(orderId: string): string {
  return orderId.slice(0, 8);
}

/**
 * An amount in minor units as money, e.g. (1234, 'EUR') -> '€12.34', (500, 'JPY') -> '¥500': the
 * currency's own number of minor digits. An unknown currency code -> '12.34 XYZ'.
 */
export function formatAmount(amountCents: number, currency: string): string {
  try {
    const fmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
    const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
    return fmt.format(amountCents / 10 ** digits);
  } catch {
    return `${(amountCents / 100).toFixed(2)} ${currency}`;
  }
}

/** Why the order was cancelled, in the customer's words, from the saga's error name. */
export function cancellationReason(errorName: string): string {
  switch (errorName) {
    case 'OutOfStockError':
      return 'an item in it is out of stock';
    case 'PaymentDeclinedError':
      return 'the payment was declined';
    case 'CancelledByCustomer':
      return 'you cancelled it';
    default:
      return 'we could not complete it';
  }
}

export function orderConfirmed(d: { orderId: string; amountCents: number; currency: string }): Rendered {
  const id = shortId(d.orderId);
  return {
    template: 'order-confirmed',
    subject: `Your order ${id} is confirmed`,
    body: [
      'Hello,',
      '',
      `thank you for your order. Your payment of ${formatAmount(d.amountCents, d.currency)} was received and order ${id} is confirmed.`,
      '',
      `Order reference: ${d.orderId}`,
    ].join('\n'),
  };
}

export function orderCancelled(d: { orderId: string; error: string }): Rendered {
  const id = shortId(d.orderId);
  return {
    template: 'order-cancelled',
    subject: `Your order ${id} was cancelled`,
    body: [
      'Hello,',
      '',
      `your order ${id} was cancelled because ${cancellationReason(d.error)}.`,
      '',
      `Order reference: ${d.orderId}`,
    ].join('\n'),
  };
}

export function welcome(d: { email: string }): Rendered {
  return {
    template: 'welcome',
    subject: 'Welcome to the shop',
    body: ['Hello,', '', `your account ${d.email} is ready. You can now sign in and place orders.`].join('\n'),
  };
}
