/**
 * The OrderSagaSweeper's decisions (domain/sweeper.ts) and how sweep-sagas.ts applies them, with the
 * order store and Step Functions faked; the real engines run them in test/integration/saga/sweeper.test.ts.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

jest.mock('../../../functions/order/adapters/pg-orders', () => ({
  claimUnsettledOrders: jest.fn(),
  orderStatus: jest.fn(),
  recordSagaRestart: jest.fn(),
  sagaInputOf: jest.fn(),
  hasRecordedSteps: jest.fn(),
}));

import { claimUnsettledOrders, hasRecordedSteps, orderStatus, recordSagaRestart, sagaInputOf } from '../../../functions/order/adapters/pg-orders';
import type { SagaExecution, SagaExecutions } from '../../../functions/order/domain/saga-starter';
import { COMPENSATION_FAILED, compensationError, sagaErrorOf, sweepAction } from '../../../functions/order/domain/sweeper';
import { sweepSagas } from '../../../functions/order/use-cases/sweep-sagas';

const ID = '0b4c1f8e-1d7a-4f62-9d83-5d2b8f0e6a11';
const FAILED_COMPENSATING: SagaExecution = { status: 'FAILED', error: 'CompensationFailed', cause: 'A compensation step failed after its retries' };

describe('compensationError: a (re)started saga goes forward or runs only its compensations', () => {
  it('runs only the compensations after CompensationFailed, carrying its cause', () => {
    const e = compensationError({ id: ID, status: 'CONFIRMING' }, FAILED_COMPENSATING, ID);
    expect(e).toEqual({ Error: 'CompensationFailed', Cause: expect.stringContaining('A compensation step failed after its retries') });
    expect(e?.Cause).toContain(ID);
    expect(compensationError({ id: ID, status: 'PENDING' }, { status: 'FAILED', error: 'CompensationFailed' }, `${ID}-r1`)).toEqual({ Error: 'CompensationFailed', Cause: expect.stringContaining(`${ID}-r1`) });
  });

  it('goes forward after CompensationFailed when no step of the order is recorded: nothing to undo', () => {
    expect(compensationError({ id: ID, status: 'PENDING' }, FAILED_COMPENSATING, ID, false)).toBeUndefined();
    expect(compensationError({ id: ID, status: 'PENDING' }, FAILED_COMPENSATING, ID, true)).toMatchObject({ Error: 'CompensationFailed' });
    // A customer cancel is never undone by that.
    expect(compensationError({ id: ID, status: 'CANCELLING' }, FAILED_COMPENSATING, ID, false)).toMatchObject({ Error: 'OrderCancelledByCustomerError' });
  });

  it('goes forward after an execution that ended before compensating (or is gone, or never ran)', () => {
    for (const latest of [{ status: 'FAILED', error: 'States.Runtime', cause: 'x' }, { status: 'ABORTED' }, { status: 'TIMED_OUT' }, { status: 'SUCCEEDED' }, undefined] as const) {
      expect(compensationError({ id: ID, status: 'PENDING' }, latest, ID)).toBeUndefined();
      expect(compensationError({ id: ID, status: 'CONFIRMING' }, latest, ID)).toBeUndefined();
    }
  });

  it("keeps the error of a compensation-only execution that was aborted or timed out, so its restart does not go forward", () => {
    const inputError = { Error: 'CompensationFailed', Cause: 'execution x failed while compensating' };
    expect(compensationError({ id: ID, status: 'CONFIRMING' }, { status: 'ABORTED', inputError }, `${ID}-r1`)).toEqual(inputError);
    expect(compensationError({ id: ID, status: 'PENDING' }, { status: 'TIMED_OUT', inputError }, `${ID}-r1`)).toEqual(inputError);
  });

  it("a CANCELLING order keeps the customer's reason, whatever its execution did", () => {
    for (const latest of [FAILED_COMPENSATING, { status: 'ABORTED' } as const, undefined]) {
      expect(compensationError({ id: ID, status: 'CANCELLING' }, latest, ID)).toEqual({ Error: 'OrderCancelledByCustomerError', Cause: expect.stringContaining('cancelled by the customer') });
    }
  });

  it('is the name of the ASL Fail state, and an input carrying `error` goes straight to the compensations', () => {
    const asl = JSON.parse(readFileSync(join(__dirname, '../../../statemachines/order-saga.asl.json'), 'utf8')) as { StartAt: string; States: Record<string, { Type: string; Error?: string; Choices?: Array<{ Variable: string; IsPresent?: boolean; Next: string }> }> };
    expect(asl.States['CompensationFailed']).toMatchObject({ Type: 'Fail', Error: COMPENSATION_FAILED });
    expect(asl.StartAt).toBe('StartOrCompensate');
    expect(asl.States['StartOrCompensate']!.Choices).toContainEqual({ Variable: '$.error', IsPresent: true, Next: 'RefundPayment' });
  });

  it('the restart decision itself is unchanged by the error: restart under the next name, stuck once exhausted', () => {
    expect(sweepAction({ id: ID, sagaRestarts: 0 }, FAILED_COMPENSATING, 3)).toEqual({ kind: 'restart', name: `${ID}-r1`, restarts: 1 });
    expect(sweepAction({ id: ID, sagaRestarts: 3 }, FAILED_COMPENSATING, 3)).toEqual({ kind: 'stuck', restarts: 3 });
  });
});

describe('sagaErrorOf: the `error` an execution input carried', () => {
  it('reads it from a compensation-only input, and nothing from a normal, missing or broken one', () => {
    expect(sagaErrorOf(JSON.stringify({ orderId: ID, error: { Error: 'CompensationFailed', Cause: 'c' } }))).toEqual({ Error: 'CompensationFailed', Cause: 'c' });
    expect(sagaErrorOf(JSON.stringify({ orderId: ID, error: { Error: 'X', Cause: { nested: 1 } } }))).toEqual({ Error: 'X', Cause: '{"nested":1}' });
    expect(sagaErrorOf(JSON.stringify({ orderId: ID }))).toBeUndefined();
    expect(sagaErrorOf(JSON.stringify({ orderId: ID, error: 'not an object' }))).toBeUndefined();
    expect(sagaErrorOf(JSON.stringify(null))).toBeUndefined();
    expect(sagaErrorOf(undefined)).toBeUndefined();
    expect(sagaErrorOf('{not json')).toBeUndefined();
  });
});

describe('sweepSagas applies them', () => {
  const input = { orderId: ID, userId: 'u', items: [{ sku: 's', quantity: 1, unitPriceCents: 100 }], amountCents: 100, currency: 'EUR', paymentToken: 'tok' };
  const executions = (latest: SagaExecution | undefined) => {
    const started: Array<{ name: string; input: unknown }> = [];
    const e: SagaExecutions = {
      describe: async () => latest,
      start: async (name, i) => {
        started.push({ name, input: i });
        return { started: true };
      },
    };
    return { e, started };
  };
  beforeEach(() => {
    jest.mocked(orderStatus).mockResolvedValue('CONFIRMING');
    jest.mocked(recordSagaRestart).mockResolvedValue(true);
    jest.mocked(sagaInputOf).mockResolvedValue(input);
    jest.mocked(hasRecordedSteps).mockResolvedValue(true);
  });

  it('restarts after CompensationFailed with an input carrying the error (compensation-only)', async () => {
    jest.mocked(claimUnsettledOrders).mockResolvedValue([{ id: ID, status: 'CONFIRMING', sagaRestarts: 0 }]);
    const { e, started } = executions(FAILED_COMPENSATING);
    const r = await sweepSagas({ executions: e }, { minAgeSeconds: 300, batchSize: 50, maxRestarts: 3 });
    expect(r.restarted).toEqual([ID]);
    expect(started).toEqual([{ name: `${ID}-r1`, input: { ...input, error: { Error: 'CompensationFailed', Cause: expect.stringContaining('A compensation step failed') } } }]);
  });

  it('restarts after CompensationFailed with the plain input when no step of the order is recorded', async () => {
    jest.mocked(hasRecordedSteps).mockResolvedValue(false);
    jest.mocked(claimUnsettledOrders).mockResolvedValue([{ id: ID, status: 'PENDING', sagaRestarts: 0 }]);
    const { e, started } = executions(FAILED_COMPENSATING);
    await sweepSagas({ executions: e }, { minAgeSeconds: 300, batchSize: 50, maxRestarts: 3 });
    expect(hasRecordedSteps).toHaveBeenCalledWith(ID);
    expect(started).toEqual([{ name: `${ID}-r1`, input }]);
  });

  it('restarts after a timed-out execution with the plain input (forward)', async () => {
    jest.mocked(claimUnsettledOrders).mockResolvedValue([{ id: ID, status: 'PENDING', sagaRestarts: 1 }]);
    const { e, started } = executions({ status: 'TIMED_OUT' });
    await sweepSagas({ executions: e }, { minAgeSeconds: 300, batchSize: 50, maxRestarts: 3 });
    expect(started).toEqual([{ name: `${ID}-r2`, input }]);
  });

  it('claims the stuck orders in a quota of their own: a tenth of the batch (at least 1) unless configured', async () => {
    jest.mocked(claimUnsettledOrders).mockResolvedValue([]);
    const { e } = executions(undefined);
    await sweepSagas({ executions: e }, { minAgeSeconds: 300, batchSize: 50, maxRestarts: 3 });
    expect(claimUnsettledOrders).toHaveBeenLastCalledWith(300, 50, { maxRestarts: 3, stuckLimit: 5 });
    await sweepSagas({ executions: e }, { minAgeSeconds: 120, batchSize: 1, maxRestarts: 2 });
    expect(claimUnsettledOrders).toHaveBeenLastCalledWith(120, 1, { maxRestarts: 2, stuckLimit: 1 });
    await sweepSagas({ executions: e }, { minAgeSeconds: 120, batchSize: 50, maxRestarts: 2, stuckBatchSize: 20 });
    expect(claimUnsettledOrders).toHaveBeenLastCalledWith(120, 50, { maxRestarts: 2, stuckLimit: 20 });
  });
});
