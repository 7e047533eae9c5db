import { z } from 'zod';
import { SkuSchema } from '../../inventory/domain/schemas';

export const ORDER_EVENT_SOURCE = 'shop.order';
export const MAX_LINES = 50;
export const MAX_QUANTITY = 100;
export const PAYMENT_METHODS = ['card', 'crypto'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** POST /orders body. Prices come from the price list (the inventory table), never from the client. */
export const PlaceOrderBodySchema = z
  .object({
    items: z
      .array(z.object({ sku: SkuSchema, quantity: z.number().int().min(1).max(MAX_QUANTITY) }))
      .min(1)
      .max(MAX_LINES),
    /**
     * `card` (default): paid through the provider with `paymentToken`. `crypto`: no token; the
     * customer pays the total on chain and POST /web3/payments/verify records it (docs/web3.md).
     */
    paymentMethod: z.enum(PAYMENT_METHODS).default('card'),
    /** Provider payment token (card orders only). With the sandbox provider: one of its test card numbers (docs/saga.md). */
    paymentToken: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, '4-64 letters, digits, "_" or "-"').optional(),
  })
  .superRefine((body, ctx) => {
    if (body.paymentMethod === 'card' && body.paymentToken === undefined) ctx.addIssue({ code: 'custom', path: ['paymentToken'], message: 'required for paymentMethod card' });
    if (body.paymentMethod === 'crypto' && body.paymentToken !== undefined) ctx.addIssue({ code: 'custom', path: ['paymentToken'], message: 'must be absent for paymentMethod crypto (the payment is made on chain)' });
    const seen = new Set<string>();
    body.items.forEach((it, i) => {
      if (seen.has(it.sku)) ctx.addIssue({ code: 'custom', path: ['items', i, 'sku'], message: `duplicate SKU ${it.sku}: put the quantity on one line` });
      seen.add(it.sku);
    });
  });
export type PlaceOrderBody = z.infer<typeof PlaceOrderBodySchema>;

export const IdempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,128}$/, '1-128 visible ASCII characters');
export const OrderIdPathSchema = z.object({ id: z.string().uuid() });
export const ListOrdersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

/**
 * PENDING (accepted, saga running) -> CONFIRMING (the saga's pivot: payment about to be captured; a
 * customer cancel is refused from here on) -> CONFIRMED; PENDING or CONFIRMING -> CANCELLED (the
 * saga compensated); PENDING -> CANCELLING (the customer cancelled; the saga's compensations are
 * voiding the authorization and releasing the stock) -> CANCELLED.
 * CONFIRMED and CANCELLED are terminal.
 */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMING', 'CONFIRMED', 'CANCELLING', 'CANCELLED'] as const;
export const OrderStatusSchema = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['CONFIRMED', 'CANCELLED'];
export const isTerminal = (s: OrderStatus): boolean => TERMINAL_STATUSES.includes(s);
export const OrderLineSchema = z.object({ sku: z.string(), quantity: z.number().int(), unitPriceCents: z.number().int() });
export const OrderViewSchema = z.object({
  orderId: z.string().uuid(),
  status: OrderStatusSchema,
  items: z.array(OrderLineSchema),
  amountCents: z.number().int(),
  currency: z.string(),
  /** `crypto`: the saga waits for the on-chain payment (POST /web3/payments/verify) while PENDING. */
  paymentMethod: z.enum(PAYMENT_METHODS),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Why a CANCELLED (or CANCELLING) order was cancelled: the error name that caused it and its cause. */
  failure: z.object({ error: z.string(), cause: z.string() }).optional(),
});
export type OrderView = z.infer<typeof OrderViewSchema>;
export const PlaceOrderResponseSchema = z.object({ orderId: z.string().uuid(), status: OrderStatusSchema });
export const OrderListSchema = z.object({ items: z.array(OrderViewSchema.omit({ items: true })), nextCursor: z.string().nullable() });
export const ErrorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() }),
});

/**
 * Events (the envelope of functions/shared/events.ts; these are the `data` contracts).
 *
 * OrderCreated is version 2: version 1 carried the customer's `paymentToken`, which then sat in
 * Kafka, on the event bus and in every Step Functions execution's input and history. Version 2 has
 * no token: it stays in the order's row, the payment service reads it there when it authorizes, and
 * the order forgets it once it is CONFIRMED or CANCELLED. A version 1 event still parses: its token
 * is dropped (zod strips keys the schema does not name), so it never reaches an execution's input.
 */
export const ORDER_CREATED_VERSION = 2;
export const OrderCreatedData = z.object({
  orderId: z.string().uuid(),
  userId: z.string(),
  items: z.array(OrderLineSchema).min(1),
  amountCents: z.number().int().nonnegative(),
  currency: z.string().length(3),
});
export type OrderCreated = z.infer<typeof OrderCreatedData>;
export const OrderCompletedData = z.object({ orderId: z.string().uuid(), userId: z.string(), amountCents: z.number().int(), currency: z.string() });
export const OrderFailedData = z.object({ orderId: z.string().uuid(), userId: z.string(), error: z.string(), cause: z.string() });

/** Saga task inputs (OrderTasks). `reason` is the Catch output {Error, Cause} of the failed state. */
export const BeginConfirmationInput = z.object({ action: z.literal('beginConfirmation'), orderId: z.string().uuid() });
/** userId, amountCents, currency: the order's, from the saga's input (optional: executions of older definitions lack them). */
export const ConfirmInput = z.object({
  action: z.literal('confirm'),
  orderId: z.string().uuid(),
  userId: z.string().min(1).optional(),
  amountCents: z.number().int().nonnegative().optional(),
  currency: z.string().length(3).optional(),
});
export const CancelInput = z.object({
  action: z.literal('cancel'),
  orderId: z.string().uuid(),
  reason: z.object({ Error: z.string(), Cause: z.unknown().optional() }).passthrough().optional(),
});
export const PublishInput = z.object({ action: z.literal('publish'), orderId: z.string().uuid(), eventBusName: z.string().optional() });
