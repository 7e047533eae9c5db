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

/** The letter every template sends: a greeting, one sentence, and the order reference when there is one. */
function letter(template: TemplateName, subject: string, sentence: string, orderId?: string): Rendered {
  return { template, subject, body: ['Hello,', '', sentence, ...(orderId ? ['', `Order reference: ${orderId}`] : [])].join('\n') };
}

export function orderConfirmed(d: { orderId: string; amountCents: number; currency: string }): Rendered {
  const id = shortId(d.orderId);
  return letter('order-confirmed', `Your order ${id} is confirmed`, `thank you for your order. Your payment of ${formatAmount(d.amountCents, d.currency)} was received and order ${id} is confirmed.`, d.orderId);
}

export function orderCancelled(d: { orderId: string; error: string }): Rendered {
  const id = shortId(d.orderId);
  return letter('order-cancelled', `Your order ${id} was cancelled`, `your order ${id} was cancelled because ${cancellationReason(d.error)}.`, d.orderId);
}

export function welcome(d: { email: string }): Rendered {
  return letter('welcome', 'Welcome to the shop', `your account ${d.email} is ready. You can now sign in and place orders.`);
}
