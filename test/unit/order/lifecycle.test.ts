import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutOfStockError, UnknownSkuError } from '../../../functions/inventory/domain/errors';
import { PaymentDeclinedError } from '../../../functions/payment/domain/errors';
import { ConflictError } from '../../../functions/shared/errors';
import { sagaErrorName } from '../../../functions/shared/saga-task';
import { OrderCancelledByCustomerError, OrderNotCancellableError, OrderNotConfirmingError, OrderNotPendingError, SagaAlreadyCompensatedError } from '../../../functions/order/domain/errors';
import { beginConfirmation, customerCancel, CUSTOMER_CANCELLED } from '../../../functions/order/domain/lifecycle';
import { isTerminal, ORDER_STATUSES, OrderStatusSchema, OrderViewSchema } from '../../../functions/order/domain/schemas';
import { executionName, sweepAction } from '../../../functions/order/domain/sweeper';

const ID = '0b4c1f8e-1d7a-4f62-9d83-5d2b8f0e6a11';
const order = (status: (typeof ORDER_STATUSES)[number], cancelError: string | null = null) => ({ id: ID, status, cancelError });
const thrown = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
};

describe('order statuses', () => {
  it('include CONFIRMING between PENDING and CONFIRMED, CANCELLING before CANCELLED; only CONFIRMED and CANCELLED are terminal', () => {
    expect(ORDER_STATUSES).toEqual(['PENDING', 'CONFIRMING', 'CONFIRMED', 'CANCELLING', 'CANCELLED']);
    expect(isTerminal('CANCELLING')).toBe(false);
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(['CONFIRMED', 'CANCELLED']);
    expect(OrderStatusSchema.safeParse('CONFIRMING').success).toBe(true);
    expect(OrderViewSchema.shape.status.safeParse('CONFIRMING').success).toBe(true);
  });
  it('match the CHECK constraint of the latest migration', () => {
    const dir = join(__dirname, '../../../migrations');
    const sql = readFileSync(join(dir, '1764700000000_order-cancelling.js'), 'utf8');
    expect(sql).toContain(`CHECK (status IN (${ORDER_STATUSES.map((s) => `'${s}'`).join(', ')}))`);
  });
});

describe('the saga pivot (BeginConfirmation)', () => {
  it('moves a PENDING order to CONFIRMING', () => {
    expect(beginConfirmation(order('PENDING'), new Set(['inventory.reserve', 'payment.authorize']))).toBe('move');
  });
  it('leaves an order already past the pivot as it is (repeat)', () => {
    expect(beginConfirmation(order('CONFIRMING'), new Set())).toBe('already');
    expect(beginConfirmation(order('CONFIRMED'), new Map())).toBe('already');
  });
  it('throws OrderCancelledByCustomerError when the customer cancelled first', () => {
    expect(thrown(() => beginConfirmation(order('CANCELLING', CUSTOMER_CANCELLED), new Set()))).toBeInstanceOf(OrderCancelledByCustomerError);
    const e = thrown(() => beginConfirmation(order('CANCELLED', CUSTOMER_CANCELLED), new Set()));
    expect(e).toBeInstanceOf(OrderCancelledByCustomerError);
    expect(e.name).toBe('OrderCancelledByCustomerError');
    expect(e.message).toContain(ID);
  });
  it('throws OrderNotPendingError for an order the saga cancelled, SagaAlreadyCompensatedError once compensations are recorded', () => {
    expect(thrown(() => beginConfirmation(order('CANCELLED', 'OutOfStockError'), new Set()))).toBeInstanceOf(OrderNotPendingError);
    const e = thrown(() => beginConfirmation(order('PENDING'), new Set(['inventory.reserve', 'payment.refund'])));
    expect(e).toBeInstanceOf(SagaAlreadyCompensatedError);
    expect(e.message).toContain('payment.refund');
    expect(thrown(() => beginConfirmation(order('PENDING'), new Map([['inventory.release', {}]])))).toBeInstanceOf(SagaAlreadyCompensatedError);
    // A refund that began (recorded before the provider call) whose own record never landed.
    expect(thrown(() => beginConfirmation(order('PENDING'), new Set(['inventory.reserve', 'payment.authorize', 'payment.refund-begun'])))).toBeInstanceOf(SagaAlreadyCompensatedError);
  });
});

describe('customer cancel', () => {
  it('cancels a PENDING order and answers the same for a cancelling or cancelled one', () => {
    expect(customerCancel(order('PENDING'))).toBe('cancel');
    expect(customerCancel(order('CANCELLING', CUSTOMER_CANCELLED))).toBe('same');
    expect(customerCancel(order('CANCELLED', CUSTOMER_CANCELLED))).toBe('same');
  });
  it('refuses a CONFIRMING order (payment being captured) with a 409 naming the status', () => {
    const e = thrown(() => customerCancel(order('CONFIRMING')));
    expect(e).toBeInstanceOf(OrderNotCancellableError);
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as OrderNotCancellableError).code).toBe('ORDER_NOT_CANCELLABLE');
    expect(e.message).toBe(`order ${ID} is CONFIRMING: its payment is being captured, too late to cancel`);
  });
  it('refuses a CONFIRMED order', () => {
    expect(thrown(() => customerCancel(order('CONFIRMED'))).message).toBe(`order ${ID} is CONFIRMED and can no longer be cancelled`);
  });
});

describe('saga error names (the ASL matches them; bundles are minified)', () => {
  it('survive a renamed class', () => {
    class A extends OrderCancelledByCustomerError {}
    class B extends SagaAlreadyCompensatedError {}
    class C extends OrderNotConfirmingError {}
    expect(sagaErrorName(new A(ID))).toBe('OrderCancelledByCustomerError');
    expect(sagaErrorName(new B(ID, ['payment.refund']))).toBe('SagaAlreadyCompensatedError');
    expect(sagaErrorName(new C(ID, 'CANCELLED'))).toBe('OrderNotConfirmingError');
  });
  it('every error name a Catch of the ASL names is thrown by some saga error class', () => {
    const asl = JSON.parse(readFileSync(join(__dirname, '../../../statemachines/order-saga.asl.json'), 'utf8')) as { States: Record<string, { Catch?: Array<{ ErrorEquals: string[] }> }> };
    const named = new Set(Object.values(asl.States).flatMap((s) => (s.Catch ?? []).flatMap((c) => c.ErrorEquals)).filter((n) => !n.startsWith('States.')));
    const thrownNames = new Set([
      new OrderCancelledByCustomerError(ID).name,
      new OutOfStockError([]).name,
      new UnknownSkuError([]).name,
      new PaymentDeclinedError('x').name,
    ]);
    expect([...named].sort()).toEqual([...thrownNames].sort());
  });
});

describe('saga sweeper decision', () => {
  const MAX = 3;
  it('names the first execution by the order id and restarts -r1, -r2, ...', () => {
    expect(executionName(ID, 0)).toBe(ID);
    expect(executionName(ID, 2)).toBe(`${ID}-r2`);
    expect(executionName(ID, 2).length).toBeLessThanOrEqual(80); // Step Functions name limit
  });
  it('leaves a running execution alone', () => {
    expect(sweepAction({ id: ID, sagaRestarts: 0 }, { status: 'RUNNING' }, MAX)).toEqual({ kind: 'leave' });
    expect(sweepAction({ id: ID, sagaRestarts: 2 }, { status: 'RUNNING' }, MAX)).toEqual({ kind: 'leave' });
  });
  it('starts the saga under the order id when it never started', () => {
    expect(sweepAction({ id: ID, sagaRestarts: 0 }, undefined, MAX)).toEqual({ kind: 'start', name: ID });
  });
  it('restarts under a new name when the latest execution ended (or is gone) with the order not terminal', () => {
    for (const status of ['FAILED', 'ABORTED', 'TIMED_OUT', 'SUCCEEDED'] as const) {
      expect(sweepAction({ id: ID, sagaRestarts: 0 }, { status }, MAX)).toEqual({ kind: 'restart', name: `${ID}-r1`, restarts: 1 });
    }
    expect(sweepAction({ id: ID, sagaRestarts: 1 }, undefined, MAX)).toEqual({ kind: 'restart', name: `${ID}-r2`, restarts: 2 });
  });
  it('reports the order stuck once the restarts are exhausted', () => {
    expect(sweepAction({ id: ID, sagaRestarts: 3 }, { status: 'FAILED' }, MAX)).toEqual({ kind: 'stuck', restarts: 3 });
    expect(sweepAction({ id: ID, sagaRestarts: 0 }, { status: 'FAILED' }, 0)).toEqual({ kind: 'stuck', restarts: 0 });
  });
});
