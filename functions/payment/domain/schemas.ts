import { z } from 'zod';

export const PAYMENT_EVENT_SOURCE = 'shop.payment';
export const PAYMENT_TOPIC = 'payment-events';

export const AuthorizeInput = z.object({
  action: z.literal('authorize'),
  orderId: z.string().uuid(),
  amountCents: z.number().int().nonnegative(),
  currency: z.string().length(3),
  paymentToken: z.string().min(1).max(128),
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
