import { DescribeExecutionCommand, ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { Pool } from 'pg';
import { endpoints } from '../../../local/engines/endpoints';
import { PgExecutionStore, startPlatform, type HistoryEvent, type Platform } from '../../../local/runtime';
import { calls } from '../../fixtures/runtime/handlers';
import { TEST_SAGA, testManifest } from '../../fixtures/runtime/manifest';

jest.setTimeout(60000);

const run = `${process.pid}-${Date.now()}`;
let p: Platform;
let arn: string;
let pool: Pool;

beforeAll(async () => {
  p = await startPlatform({
    manifest: testManifest(),
    components: ['sfn', 'aws-endpoint'],
    awsPort: 0,
    stateMachines: [TEST_SAGA],
    // Reserve waits 200 ms before each retry (instead of 1 s, 2 s): long enough to see it RUNNING.
    retryIntervalOverrides: { Reserve: 200 },
  });
  arn = p.stateMachineArns[TEST_SAGA.name]!;
  process.env.STATE_MACHINE_ARN = arn;
  pool = new Pool({ connectionString: endpoints().pgUrl, max: 1 });
});
afterAll(async () => {
  await p?.stop();
  await pool?.end();
});

const steps = (h: HistoryEvent[]) => h.map((e) => `${e.type}${e.stateName ? `:${e.stateName}` : ''}${e.error ? `(${e.error})` : ''}`);
const start = async (name: string, input: Record<string, unknown>) => {
  const { executionArn } = await p.sfn.startExecution({ stateMachineArn: arn, name: `${name}-${run}`, input: JSON.stringify({ failTimes: 0, outOfStock: false, ...input }) });
  return { executionArn, done: await p.sfn.waitForExecution(executionArn), history: await p.sfn.getExecutionHistory(executionArn) };
};

describe('local Step Functions runner', () => {
  it('retries a TransientError, then succeeds through every state and puts the event on the bus', async () => {
    const key = `happy-${run}`;
    const r = await start('happy', { key, failTimes: 1 });
    expect(r.done.status).toBe('SUCCEEDED');
    expect(JSON.parse(r.done.output!)).toMatchObject({ key, reservation: { reservationId: `r-${key}` }, confirmation: { confirmed: true } });
    expect(steps(r.history)).toEqual([
      'ExecutionStarted',
      'StateEntered:Reserve',
      'TaskFailed:Reserve(TransientError)',
      'StateRetried:Reserve(TransientError)',
      'StateExited:Reserve',
      'StateEntered:Confirm',
      'StateExited:Confirm',
      'StateEntered:Publish',
      'StateExited:Publish',
      'ExecutionSucceeded',
    ]);
    expect(p.bus.events.find((e) => (e.detail as { key?: string }).key === key)).toMatchObject({ source: 'shop.test', 'detail-type': 'TestCompleted', 'event-bus-name': 'shop-local' });
  });

  it('catches a named error (OutOfStockError) into the compensation path and reports the error that caused it', async () => {
    const key = `oos-${run}`;
    const r = await start('oos', { key, outOfStock: true });
    expect(r.done).toMatchObject({ status: 'FAILED', error: 'OutOfStockError' });
    expect(JSON.parse(r.done.cause!)).toMatchObject({ errorType: 'OutOfStockError', errorMessage: `no stock for ${key}` });
    expect(steps(r.history)).toEqual([
      'ExecutionStarted',
      'StateEntered:Reserve',
      'TaskFailed:Reserve(OutOfStockError)',
      'StateCaught:Reserve(OutOfStockError)',
      'StateExited:Reserve',
      'StateEntered:Cancel',
      'StateFailed:Cancel(OutOfStockError)',
      'ExecutionFailed(OutOfStockError)',
    ]);
  });

  it('gives up after MaxAttempts and compensates through States.ALL, keeping the original error', async () => {
    const key = `exhausted-${run}`;
    const r = await start('exhausted', { key, failTimes: 10 });
    expect(r.done).toMatchObject({ status: 'FAILED', error: 'TransientError' });
    expect(calls.filter((c) => c.action === 'reserve' && (c.input as { key: string }).key === key)).toHaveLength(3);
    expect(steps(r.history).filter((s) => s.startsWith('StateEntered'))).toEqual(['StateEntered:Reserve', 'StateEntered:Release', 'StateEntered:Cancel']);
    expect(r.history.find((e) => e.type === 'StateCaught')).toMatchObject({ stateName: 'Reserve', error: 'TransientError' });
  });

  it('returns the running execution for a duplicate name with the same input, and rejects it otherwise', async () => {
    const name = `dup-${run}`;
    const input = JSON.stringify({ key: name, failTimes: 1, outOfStock: false });
    const first = await p.sfn.startExecution({ stateMachineArn: arn, name, input });
    const again = await p.sfn.startExecution({ stateMachineArn: arn, name, input: JSON.stringify({ outOfStock: false, failTimes: 1, key: name }) });
    expect(again).toEqual(first);
    await expect(p.sfn.startExecution({ stateMachineArn: arn, name, input: JSON.stringify({ key: 'other' }) })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await p.sfn.waitForExecution(first.executionArn);
    // as on AWS: once the execution has ended, the name cannot be used again, even with the same input
    await expect(p.sfn.startExecution({ stateMachineArn: arn, name, input })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect(calls.filter((c) => c.action === 'confirm' && (c.input as { key: string }).key === name)).toHaveLength(1);
  });

  it('rejects a bad execution name, bad input and an unknown state machine', async () => {
    await expect(p.sfn.startExecution({ stateMachineArn: arn, name: 'has space' })).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(p.sfn.startExecution({ stateMachineArn: arn, input: '{not json' })).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(p.sfn.startExecution({ stateMachineArn: `${arn}-nope` })).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(p.sfn.describeExecution(`${arn.replace(':stateMachine:', ':execution:')}:nope`)).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('persists executions and their history in PostgreSQL', async () => {
    const r = await start('persisted', { key: `persisted-${run}` });
    const row = await pool.query('SELECT status, history FROM local_runtime.sfn_executions WHERE execution_arn = $1', [r.executionArn]);
    expect(row.rows[0].status).toBe('SUCCEEDED');
    expect(steps(row.rows[0].history as HistoryEvent[])).toContain('StateExited:Confirm');
  });

  it('resumes an execution a crash left RUNNING, but not one a live process runs', async () => {
    const store = new PgExecutionStore(endpoints().pgUrl);
    const row = (name: string, owner?: string) => ({
      executionArn: `${arn.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn: arn,
      name,
      status: 'RUNNING' as const,
      input: JSON.stringify({ key: name, failTimes: 0, outOfStock: false }),
      startDate: new Date(),
      history: [],
      ...(owner ? { owner } : {}),
    });
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const crashed = row(`crashed-${run}`, `${hostname()}/${deadPid}/r1`);
    const legacy = row(`no-owner-${run}`);
    const alive = row(`alive-elsewhere-${run}`, `${hostname()}/1/r2`); // pid 1 is alive
    for (const r of [crashed, legacy, alive]) await store.create(r);
    await store.close();
    expect(await p.sfn.resumeRunning()).toBeGreaterThanOrEqual(2);
    expect((await p.sfn.waitForExecution(crashed.executionArn)).status).toBe('SUCCEEDED');
    expect((await p.sfn.waitForExecution(legacy.executionArn)).status).toBe('SUCCEEDED');
    expect((await p.sfn.describeExecution(alive.executionArn)).status).toBe('RUNNING');
    expect(calls.some((c) => (c.input as { key?: string }).key === alive.name)).toBe(false);
    await pool.query('DELETE FROM local_runtime.sfn_executions WHERE execution_arn = $1', [alive.executionArn]);
  });

  it('keeps an ended execution as long as Step Functions would (90 days), then deletes it at start-up; a RUNNING one never', async () => {
    const day = 86400000;
    const rec = (name: string, status: 'SUCCEEDED' | 'RUNNING', startedDaysAgo: number, stoppedDaysAgo?: number) => ({
      executionArn: `${arn.replace(':stateMachine:', ':execution:')}:${name}`,
      stateMachineArn: arn,
      name,
      status,
      input: '{}',
      startDate: new Date(Date.now() - startedDaysAgo * day),
      history: [],
      owner: `${hostname()}/1/expiry`, // pid 1 is alive: no runtime resumes the RUNNING one
    });
    const old = rec(`ended-91d-${run}`, 'SUCCEEDED', 92, 91);
    const recent = rec(`ended-89d-${run}`, 'SUCCEEDED', 90, 89);
    const running = rec(`running-200d-${run}`, 'RUNNING', 200);
    const writer = new PgExecutionStore(endpoints().pgUrl, { retentionDays: 100000 }); // expires nothing itself
    await writer.init();
    for (const r of [old, recent, running]) await writer.create(r);
    for (const [r, daysAgo] of [[old, 91], [recent, 89]] as const) await writer.finish({ ...r, stopDate: new Date(Date.now() - daysAgo * day), output: '{}' });
    await writer.close();

    const store = new PgExecutionStore(endpoints().pgUrl); // the default: 90 days
    try {
      await store.init(); // expires at start-up (and every hour after)
      for (let i = 0; i < 100 && (await store.get(old.executionArn)) !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await store.get(old.executionArn)).toBeUndefined();
      expect((await store.get(recent.executionArn))?.status).toBe('SUCCEEDED');
      expect((await store.get(running.executionArn))?.status).toBe('RUNNING');
      expect(await store.expire(88)).toBeGreaterThanOrEqual(1); // the 89-day one
      expect(await store.get(recent.executionArn)).toBeUndefined();
      expect((await store.get(running.executionArn))?.status).toBe('RUNNING');
    } finally {
      await store.close();
      await pool.query('DELETE FROM local_runtime.sfn_executions WHERE execution_arn = $1', [running.executionArn]);
    }
    process.env.LOCAL_SFN_RETENTION_DAYS = 'ninety';
    try {
      expect(() => new PgExecutionStore(endpoints().pgUrl)).toThrow('invalid environment: LOCAL_SFN_RETENTION_DAYS must be a positive number of days, got "ninety"');
    } finally {
      delete process.env.LOCAL_SFN_RETENTION_DAYS;
    }
  });

  it('serves StartExecution / DescribeExecution / ListExecutions to @aws-sdk/client-sfn through AWS_ENDPOINT_URL_SFN', async () => {
    expect(process.env.AWS_ENDPOINT_URL_SFN).toBe(p.awsUrl);
    const sfn = new SFNClient({}); // no endpoint in code: the SDK reads AWS_ENDPOINT_URL_SFN
    const name = `sdk-${run}`;
    const input = JSON.stringify({ key: name, failTimes: 0, outOfStock: false });
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input }));
    expect(started.executionArn).toBe(`${arn.replace(':stateMachine:', ':execution:')}:${name}`);
    expect(started.startDate).toBeInstanceOf(Date);
    await p.sfn.waitForExecution(started.executionArn!);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(d).toMatchObject({ status: 'SUCCEEDED', name, stateMachineArn: arn });
    expect(JSON.parse(d.output!)).toMatchObject({ confirmation: { confirmed: true } });
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED', maxResults: 1000 }));
    expect(list.executions?.map((e) => e.name)).toContain(name);
    const dup = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{"key":"different"}' })).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ExecutionAlreadyExists);
    sfn.destroy();
  });

  it('lets a handler start executions with the SDK unchanged (STATE_MACHINE_ARN + endpoint env)', async () => {
    const name = `from-handler-${run}`;
    const out = await p.handlers.invoke<{ executionArn: string; status: string }>('TestStarter', { name, input: { key: name, failTimes: 0, outOfStock: false } });
    expect(out.executionArn).toMatch(new RegExp(`:execution:${TEST_SAGA.name}:${name}$`));
    expect((await p.sfn.waitForExecution(out.executionArn)).status).toBe('SUCCEEDED');
  });

  it('serves PutEvents to @aws-sdk/client-eventbridge through AWS_ENDPOINT_URL_EVENTBRIDGE', async () => {
    const eb = new EventBridgeClient({});
    const res = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'shop.order', DetailType: 'OrderCompleted', Detail: JSON.stringify({ orderId: `o-${run}` }), EventBusName: 'shop-local' },
          { Source: 'shop.order', DetailType: 'Broken', Detail: 'not json' },
        ],
      }),
    );
    expect(res.FailedEntryCount).toBe(1);
    expect(res.Entries?.[1]?.ErrorCode).toBe('MalformedDetail');
    expect(p.bus.events.find((e) => e.id === res.Entries?.[0]?.EventId)).toMatchObject({ source: 'shop.order', 'detail-type': 'OrderCompleted', detail: { orderId: `o-${run}` } });
    eb.destroy();
  });
});
