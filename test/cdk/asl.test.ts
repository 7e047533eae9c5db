import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { allHandlers, manifest } from '../../lib/manifest';
import { aslPlaceholders, resolveSubstitutions } from '../../lib/constructs/saga-state-machine';

// asl-validator 4 ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validator = require('asl-validator') as (def: unknown, opts?: { checkArn?: boolean; checkPaths?: boolean }) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

const dir = path.resolve(__dirname, '..', '..', 'statemachines');
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

describe('statemachines/*.asl.json', () => {
  test('there is at least the order saga', () => {
    expect(files).toContain('order-saga.asl.json');
  });

  test.each(files)('%s is valid ASL (asl-validator, checkArn)', (file) => {
    const def = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown;
    const result = validator(def, { checkArn: true, checkPaths: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('rejects a definition whose transition targets a missing state', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };
    expect(validator(broken, { checkArn: true }).isValid).toBe(false);
  });

  test('every manifest state machine file exists and its placeholders all have a value', () => {
    for (const sm of manifest.stateMachines) {
      const asl = readFileSync(path.resolve(__dirname, '..', '..', sm.definitionFile), 'utf8');
      const subs = resolveSubstitutions(sm, asl, (h) => `arn:aws:lambda:us-east-1:123456789012:function:${h}`, { EventBusName: 'bus' });
      expect(Object.keys(subs).sort()).toEqual(aslPlaceholders(asl));
      for (const [ph, handler] of Object.entries(sm.taskFunctions)) expect(subs[ph]).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${handler}`);
    }
  });
});

type Retrier = { ErrorEquals: string[]; MaxAttempts?: number; MaxDelaySeconds?: number };
type TaskState = { Type: 'Task'; TimeoutSeconds?: number; Parameters: { FunctionName: string }; Retry?: Retrier[] };

describe('the saga\'s tasks against the Lambdas they invoke', () => {
  const sm = manifest.stateMachines.find((m) => m.definitionFile.endsWith('order-saga.asl.json'))!;
  const states = (JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', sm.definitionFile), 'utf8')) as { States: Record<string, { Type: string }> }).States;
  const tasks = Object.entries(states).filter((e): e is [string, TaskState] => e[1].Type === 'Task');
  const lambdaTimeout = (t: TaskState) => {
    const placeholder = /^\$\{(\w+)\}$/.exec(t.Parameters.FunctionName)![1]!;
    const handler = allHandlers().find((h) => h.name === sm.taskFunctions[placeholder])!;
    return handler.timeoutSeconds ?? 10; // ShopFunction's default
  };

  test('every task waits longer than its Lambda may run, so a slow invocation is never retried or compensated while it still runs', () => {
    // Step Functions' clock includes the invoke and a cold start: with TimeoutSeconds equal to the
    // Lambda's timeout, States.Timeout could fire while CapturePayment still runs, and RefundPayment
    // would void an authorization the running capture is about to capture.
    const short = tasks.filter(([, t]) => (t.TimeoutSeconds ?? Infinity) < lambdaTimeout(t) + 10).map(([n, t]) => `${n}: ${t.TimeoutSeconds} s for a ${lambdaTimeout(t)} s Lambda`);
    expect(short).toEqual([]);
    expect(tasks.length).toBeGreaterThanOrEqual(10);
  });

  test('forward tasks retry a Lambda or task time-out (every step is idempotent) instead of compensating at once', () => {
    const forward = tasks.filter(([, t]) => !(t.Retry ?? []).some((r) => r.ErrorEquals.includes('States.ALL')));
    expect(forward.length).toBeGreaterThanOrEqual(6);
    const missing = forward.filter(([, t]) => !['Sandbox.Timedout', 'States.Timeout'].every((e) => (t.Retry ?? []).some((r) => r.ErrorEquals.includes(e)))).map(([n]) => n);
    expect(missing).toEqual([]);
  });

  test('throttling gets its own, longer retry: a burst over a reserved concurrency waits instead of cancelling orders', () => {
    for (const [name, t] of tasks) {
      const r = (t.Retry ?? []).find((x) => x.ErrorEquals.includes('Lambda.TooManyRequestsException') || x.ErrorEquals.includes('States.ALL'));
      expect({ name, attempts: (r?.MaxAttempts ?? 0) >= 6, maxDelay: (r?.MaxDelaySeconds ?? 0) >= 30 }).toEqual({ name, attempts: true, maxDelay: true });
    }
  });
});

describe('resolveSubstitutions', () => {
  const def = { name: 'T', definitionFile: 'x.asl.json', taskFunctions: { AFn: 'A' }, otherPlaceholders: ['EventBusName'] as const };

  test('throws when a placeholder of the file has no substitution, naming it', () => {
    const asl = '{"a":"${AFn}","b":"${Mystery}","c":"${EventBusName}"}';
    expect(() => resolveSubstitutions(def, asl, () => 'arn', { EventBusName: 'bus' })).toThrow(/no substitution for placeholder\(s\) Mystery/);
  });

  test('throws when a task placeholder names a handler without a function', () => {
    expect(() => resolveSubstitutions(def, '{"a":"${AFn}"}', () => undefined, {})).toThrow(/AFn \(handler 'A' has no function\)/);
  });

  test('throws when a manifest placeholder does not occur in the file', () => {
    expect(() => resolveSubstitutions(def, '{"c":"${EventBusName}"}', () => 'arn', { EventBusName: 'bus' })).toThrow(/AFn do not occur/);
  });

  test('maps task placeholders to function ARNs and others to deployer values', () => {
    expect(resolveSubstitutions(def, '{"a":"${AFn}","c":"${EventBusName}"}', (h) => `arn:${h}`, { EventBusName: 'bus' })).toEqual({ AFn: 'arn:A', EventBusName: 'bus' });
  });
});
