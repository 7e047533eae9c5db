import { z } from 'zod';

export const PAYMENT_EVENT_SOURCE = 'shop.payment';
export const PAYMENT_TOPIC = 'payment-events';

/**
 * No payment token: the authorize step reads it from the order's row. An execution started by an
 * older definition still sends one; it is dropped here (zod strips keys the schema does not name).
 */
export const AuthorizeInput = z.object({
  action: z.literal('authorize'),
  orderId: z.string().uuid(),
  amountCents: z.number().int().nonnegative(),
  currency: z.string().length(3),
});
export const CaptureInput = z.object({ action: z.literal('capture'), orderId: z.string().uuid() });
export const RefundInput = z.object({ action: z.literal('refund'), orderId: z.string().uuid() });
export type AuthorizeInputT = z.infer<typeof AuthorizeInput>;

export type PaymentStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';
export interface PaymentRecord {
  readonly orderId: string;
  readonly status: PaymentStatus;
  readonly amountCents: number;
  readonly currency: string;
  readonly authorizationId: string;
  readonly captureId: string | null;
  readonly refundId: string | null;
}

/** Events on `payment-events` (source shop.payment). */
export const PaymentAuthorizedData = z.object({ orderId: z.string(), authorizationId: z.string(), amountCents: z.number().int(), currency: z.string() });
export const PaymentCapturedData = z.object({ orderId: z.string(), captureId: z.string(), amountCents: z.number().int(), currency: z.string() });
export const PaymentVoidedData = z.object({ orderId: z.string(), authorizationId: z.string().nullable() });
export const PaymentRefundedData = z.object({ orderId: z.string(), refundId: z.string(), amountCents: z.number().int(), currency: z.string() });
