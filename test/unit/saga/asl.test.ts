/**
 * The saga's control flow, on the real ASL file in aws-local-stepfunctions, with scripted task
 * outcomes (the tasks themselves are tested on the engines in test/integration/saga). Each
 * compensation case asserts the error that caused it, not only the states that ran.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';

const ASL_PATH = join(__dirname, '../../../statemachines/order-saga.asl.json');
const raw = readFileSync(ASL_PATH, 'utf8');
const definition = JSON.parse(raw.replace(/\$\{(\w+)\}/g, (_m, n: string) => `arn:aws:lambda:us-east-1:000000000000:function:${n}`));

type Outcome = unknown | Error | ((payload: Record<string, unknown>) => unknown);
class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
const err = (name: string, message = `${name} happened`) => new NamedError(name, message);

const input = {
  orderId: 'o-1',
  userId: 'u-1',
  items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1000 }],
  amountCents: 1000,
  currency: 'EUR',
};

const DEFAULTS: Record<string, Outcome> = {
  ReserveInventory: { reservationId: 'r-1' },
  AuthorizePayment: { authorizationId: 'a-1' },
  BeginConfirmation: { status: 'CONFIRMING' },
  CapturePayment: { captureId: 'c-1' },
  ConfirmOrder: { status: 'CONFIRMED' },
  PublishOrderCompleted: { published: 1 },
  RefundPayment: { status: 'VOIDED' },
  ReleaseInventory: { released: true },
  CancelOrder: { status: 'CANCELLED' },
  PublishOrderFailed: { published: 1 },
};

async function run(outcomes: Record<string, Outcome | Outcome[]> = {}, start: Record<string, unknown> = input) {
  const calls: Array<{ state: string; payload: Record<string, unknown> }> = [];
  const attempts: Record<string, number> = {};
  const handlers: Record<string, (i: unknown) => Promise<unknown>> = {};
  for (const state of Object.keys(DEFAULTS)) {
    handlers[state] = async (i: unknown) => {
      const { Payload } = i as { FunctionName: string; Payload: Record<string, unknown> };
      calls.push({ state, payload: Payload });
      const n = attempts[state] ?? 0;
      attempts[state] = n + 1;
      const o = outcomes[state] ?? DEFAULTS[state];
      const picked = Array.isArray(o) ? o[Math.min(n, o.length - 1)] : o;
      const v = typeof picked === 'function' ? (picked as (p: Record<string, unknown>) => unknown)(Payload) : picked;
      if (v instanceof Error) throw v;
      return { StatusCode: 200, Payload: v };
    };
  }
  const sm = new StateMachine(definition, { validationOptions: { checkArn: true } });
  const retryIntervalOverrides = Object.fromEntries(Object.keys(DEFAULTS).map((s) => [s, 0]));
  const exec = sm.run(start as never, { overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides } });
  let output: unknown;
  let failure: unknown;
  try {
    output = await exec.result;
  } catch (e) {
    failure = e;
  }
  const states = calls.map((c) => c.state);
  const payloadOf = (s: string) => calls.find((c) => c.state === s)?.payload;
  return { output, failure, states, attempts, payloadOf };
}

describe('order saga ASL', () => {
  it('runs reserve -> authorize -> pivot -> capture -> confirm -> publish on the happy path', async () => {
    const r = await run();
    expect(r.failure).toBeUndefined();
    expect(r.states).toEqual(['ReserveInventory', 'AuthorizePayment', 'BeginConfirmation', 'CapturePayment', 'ConfirmOrder', 'PublishOrderCompleted']);
    expect(r.payloadOf('BeginConfirmation')).toEqual({ action: 'beginConfirmation', orderId: 'o-1' });
    expect(r.payloadOf('ReserveInventory')).toEqual({ action: 'reserve', orderId: 'o-1', items: input.items });
    // No payment token: PaymentTasks reads it from the order's row (it is in no execution's input or history).
    expect(r.payloadOf('AuthorizePayment')).toEqual({ action: 'authorize', orderId: 'o-1', amountCents: 1000, currency: 'EUR' });
    // The order's user, amount and currency: ConfirmOrder's normal path (one round trip) builds OrderCompleted from them.
    expect(r.payloadOf('ConfirmOrder')).toEqual({ action: 'confirm', orderId: 'o-1', userId: 'u-1', amountCents: 1000, currency: 'EUR' });
    expect(r.output).toMatchObject({ orderId: 'o-1', reservation: { reservationId: 'r-1' }, payment: { authorizationId: 'a-1' }, capture: { captureId: 'c-1' }, order: { status: 'CONFIRMED' } });
  });

  it('goes straight to the compensations when the input carries the causing error (the sweeper finishing a customer cancel)', async () => {
    const error = { Error: 'OrderCancelledByCustomerError', Cause: 'cancelled by the customer' };
    const r = await run({}, { ...input, error });
    expect(r.failure).toBeUndefined();
    expect(r.states).toEqual(['RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')).toEqual({ action: 'cancel', orderId: 'o-1', reason: error });
  });

  it('cancels without any compensation when inventory is out of stock, storing OutOfStockError', async () => {
    const r = await run({ ReserveInventory: err('OutOfStockError', 'SKU-1: requested 1, available 0') });
    expect(r.states).toEqual(['ReserveInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')).toEqual({ action: 'cancel', orderId: 'o-1', reason: { Error: 'OutOfStockError', Cause: 'SKU-1: requested 1, available 0' } });
  });

  it('releases inventory but refunds nothing when the card is declined, storing PaymentDeclinedError', async () => {
    const r = await run({ AuthorizePayment: err('PaymentDeclinedError', 'card_declined') });
    expect(r.states).toEqual(['ReserveInventory', 'AuthorizePayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')?.['reason']).toEqual({ Error: 'PaymentDeclinedError', Cause: 'card_declined' });
  });

  it('retries a transient authorize failure, then voids and releases, storing TransientError', async () => {
    const r = await run({ AuthorizePayment: err('TransientError', 'payment provider timed out') });
    expect(r.attempts['AuthorizePayment']).toBe(3); // 1 + 2 retries
    expect(r.states.slice(-4)).toEqual(['RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')?.['reason']).toEqual({ Error: 'TransientError', Cause: 'payment provider timed out' });
  });

  it('succeeds after a transient failure that clears on retry', async () => {
    const r = await run({ ReserveInventory: [err('TransientError'), err('Lambda.TooManyRequestsException'), { reservationId: 'r-1' }] });
    expect(r.attempts['ReserveInventory']).toBe(3);
    expect(r.states.at(-1)).toBe('PublishOrderCompleted');
    expect(r.states).not.toContain('CancelOrder');
  });

  it('refunds, releases and cancels when capture fails', async () => {
    const r = await run({ CapturePayment: err('PaymentDeclinedError', 'capture refused') });
    expect(r.states).toEqual(['ReserveInventory', 'AuthorizePayment', 'BeginConfirmation', 'CapturePayment', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')?.['reason']).toEqual({ Error: 'PaymentDeclinedError', Cause: 'capture refused' });
  });

  it('never captures when the customer cancelled before the pivot: voids, releases and cancels with OrderCancelledByCustomerError', async () => {
    const r = await run({ BeginConfirmation: err('OrderCancelledByCustomerError', 'order o-1 was cancelled by the customer before its payment was captured') });
    expect(r.attempts['BeginConfirmation']).toBe(1); // a business outcome: no retry
    expect(r.states).toEqual(['ReserveInventory', 'AuthorizePayment', 'BeginConfirmation', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.states).not.toContain('CapturePayment');
    expect(r.payloadOf('RefundPayment')).toEqual({ action: 'refund', orderId: 'o-1' });
    expect(r.payloadOf('CancelOrder')?.['reason']).toEqual({ Error: 'OrderCancelledByCustomerError', Cause: expect.stringContaining('cancelled by the customer') });
  });

  it('retries a transient pivot failure and goes on to capture once it clears', async () => {
    const r = await run({ BeginConfirmation: [err('TransientError', 'deadlock'), { status: 'CONFIRMING' }] });
    expect(r.attempts['BeginConfirmation']).toBe(2);
    expect(r.states.slice(2)).toEqual(['BeginConfirmation', 'BeginConfirmation', 'CapturePayment', 'ConfirmOrder', 'PublishOrderCompleted']);
  });

  it('compensates without capturing when the pivot fails otherwise (a restarted execution of a compensated saga)', async () => {
    const r = await run({ BeginConfirmation: err('SagaAlreadyCompensatedError', 'order o-1: the saga already compensated') });
    expect(r.states.slice(2)).toEqual(['BeginConfirmation', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')?.['reason']).toMatchObject({ Error: 'SagaAlreadyCompensatedError' });
  });

  it('refunds, releases and cancels when the order can no longer be confirmed', async () => {
    const r = await run({ ConfirmOrder: err('OrderNotConfirmingError', 'order o-1 is CANCELLED, not CONFIRMING') });
    expect(r.states.slice(4)).toEqual(['ConfirmOrder', 'RefundPayment', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')?.['reason']).toEqual({ Error: 'OrderNotConfirmingError', Cause: 'order o-1 is CANCELLED, not CONFIRMING' });
  });

  it('releases (idempotent no-op) before cancelling when reserve fails with an unknown error', async () => {
    const r = await run({ ReserveInventory: err('TypeError', 'boom') });
    expect(r.attempts['ReserveInventory']).toBe(1); // not a transient error: no retry
    expect(r.states).toEqual(['ReserveInventory', 'ReleaseInventory', 'CancelOrder', 'PublishOrderFailed']);
    expect(r.payloadOf('CancelOrder')?.['reason']).toEqual({ Error: 'TypeError', Cause: 'boom' });
  });

  it('never compensates a confirmed order when publishing fails (the outbox relay publishes later)', async () => {
    const r = await run({ PublishOrderCompleted: err('TransientError', 'broker down') });
    expect(r.failure).toBeUndefined();
    expect(r.attempts['PublishOrderCompleted']).toBe(4);
    expect(r.states).not.toContain('RefundPayment');
    expect(r.states).not.toContain('CancelOrder');
  });

  it('retries a failing compensation and continues once it succeeds', async () => {
    const r = await run({ AuthorizePayment: err('PaymentDeclinedError'), ReleaseInventory: [err('Error', 'db down'), err('Error', 'db down'), { released: true }] });
    expect(r.attempts['ReleaseInventory']).toBe(3);
    expect(r.states.slice(-2)).toEqual(['CancelOrder', 'PublishOrderFailed']);
  });

  it('throws when a compensation keeps failing: the execution fails with CompensationFailed', async () => {
    const r = await run({ AuthorizePayment: err('PaymentDeclinedError'), ReleaseInventory: err('Error', 'db down') });
    expect(r.attempts['ReleaseInventory']).toBe(7); // 1 + 6 retries
    expect(r.states).not.toContain('CancelOrder');
    expect(((r.failure as Error).cause as Error).name).toBe('CompensationFailed');
  });
});
