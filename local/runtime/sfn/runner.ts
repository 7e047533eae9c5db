import '../../polyfills';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { allHandlers, type PlatformManifest, type StateMachineDef } from '../../../lib/manifest';
import { LOCAL_EVENT_BUS, executionArn as makeExecutionArn, lambdaArn, stateMachineArn as makeStateMachineArn } from '../env';
import type { LocalEventBus, PutEventsEntry } from '../eventbus';
import { REPO_ROOT, toInvocationError, type HandlerRegistry } from '../handlers';
import { log } from '../log';
import { bindTasks, retryableStates, substitute, type AslDefinition, type TaskBinding } from './asl';
import { installJsonPathFastPath } from './jsonpath-fast';
import { MemoryExecutionStore } from './store';
import { SfnError, type ExecutionDescription, type ExecutionRecord, type ExecutionStatus, type ExecutionStore, type HistoryEvent } from './types';

/**
 * The local Step Functions control plane: runs ASL definitions with aws-local-stepfunctions, each
 * Task state bound to the manifest handler the deployed state machine calls (see asl.ts), with AWS
 * Standard-workflow semantics for the control plane:
 *  - StartExecution: the name defaults to a UUID; a name already used with the same input while that
 *    execution is RUNNING returns it (idempotent); otherwise ExecutionAlreadyExists (as on AWS, also
 *    when the earlier execution has finished: a name is never reused).
 *  - DescribeExecution / ListExecutions / GetExecutionHistory.
 *  - A handler error surfaces with its name as the Step Functions error and Lambda's JSON error
 *    payload as the cause, so Retry/Catch on e.g. "TransientError" behave as on AWS.
 */
installJsonPathFastPath();

export type RetryIntervalOverrides = number | Record<string, number | number[]>;

export interface RegisterOptions {
  readonly name: string;
  /** The ASL, as an object or as a file path relative to the repo root. */
  readonly definition: AslDefinition | string;
  /** Placeholder -> manifest handler name (as in the manifest's stateMachines). */
  readonly taskFunctions: Readonly<Record<string, string>>;
  /** Values for other placeholders (EventBusName defaults to the local bus). */
  readonly placeholders?: Readonly<Record<string, string>>;
}

export interface LocalStepFunctionsOptions {
  readonly manifest: PlatformManifest;
  readonly handlers: HandlerRegistry;
  readonly bus?: LocalEventBus;
  readonly store?: ExecutionStore;
  /** Milliseconds to wait before each retry instead of the ASL's IntervalSeconds/backoff: one number for every state, or per state name. */
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  readonly rootDir?: string;
  /** Close the store in stop(). @default true (startPlatform passes false for a store the caller made) */
  readonly closeStoreOnStop?: boolean;
}

interface Registered {
  readonly arn: string;
  readonly name: string;
  readonly machine: StateMachine;
  readonly handlers: Record<string, (input: unknown) => Promise<unknown>>;
  readonly retryOverrides: Record<string, number | number[]> | undefined;
}

interface Live {
  readonly record: ExecutionRecord;
  readonly done: Promise<ExecutionDescription>;
  abort(): void;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,80}$/;

/** Runners of this process that have not been stopped (by id). */
const activeRunners = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when nobody runs this execution any more: its runner's process is gone, or it is this process
 * and that runner was stopped. Executions of another host are never taken over.
 */
export function isOrphan(owner: string | undefined): boolean {
  if (!owner) return true;
  const [host, pid, runner] = owner.split('/');
  if (host !== hostname()) return false;
  if (Number(pid) === process.pid) return !activeRunners.has(runner ?? '');
  return !pidAlive(Number(pid));
}

function canonical(json: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(JSON.parse(json)));
}

/** History helpers, made once (not per event: the bundler wraps every named closure in a __name call). */
function j(v: unknown): string | undefined {
  return v === undefined ? undefined : JSON.stringify(v);
}
function strCause(c: unknown): string {
  return typeof c === 'string' ? c : c instanceof Error ? c.message : JSON.stringify(c);
}

const describe = (r: ExecutionRecord): ExecutionDescription => {
  const { history: _h, owner: _o, ...rest } = r;
  return { ...rest };
};

/** The error Step Functions sees when a Lambda task fails: Error = errorType, Cause = the JSON error payload. */
function taskError(err: unknown): Error {
  const inv = toInvocationError(err);
  const e = new Error(JSON.stringify(inv.toPayload()));
  e.name = inv.errorType;
  return e;
}

export class LocalStepFunctions {
  readonly store: ExecutionStore;
  private readonly machines = new Map<string, Registered>();
  private readonly live = new Map<string, Live>();
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private readonly runnerId = randomUUID();
  /** `host/pid/runnerId`, stored with each execution this runner starts. */
  readonly owner = `${hostname()}/${process.pid}/${this.runnerId}`;

  constructor(private readonly opts: LocalStepFunctionsOptions) {
    this.store = opts.store ?? new MemoryExecutionStore();
    activeRunners.add(this.runnerId);
  }

  /** Registers every state machine of the manifest; returns name -> ARN. */
  registerManifest(placeholders: Readonly<Record<string, string>> = {}): Record<string, string> {
    const out: Record<string, string> = {};
    for (const sm of this.opts.manifest.stateMachines) out[sm.name] = this.registerFromDef(sm, placeholders);
    return out;
  }

  registerFromDef(sm: StateMachineDef, placeholders: Readonly<Record<string, string>> = {}): string {
    return this.register({ name: sm.name, definition: sm.definitionFile, taskFunctions: sm.taskFunctions, placeholders });
  }

  /** Registers (or replaces) a state machine; returns its ARN. Throws when a Task cannot be bound or the ASL is invalid. */
  register(r: RegisterOptions): string {
    const raw: AslDefinition =
      typeof r.definition === 'string' ? (JSON.parse(readFileSync(path.resolve(this.opts.rootDir ?? REPO_ROOT, r.definition), 'utf8')) as AslDefinition) : r.definition;
    const known = new Set(allHandlers(this.opts.manifest).map((h) => h.name));
    const bindings = bindTasks(raw, r.taskFunctions, known);
    const values: Record<string, string> = { EventBusName: this.opts.bus?.busName ?? LOCAL_EVENT_BUS, ...r.placeholders };
    for (const [ph, handler] of Object.entries(r.taskFunctions)) values[ph] = lambdaArn(handler);
    const definition = substitute(raw, values);
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
    const handlers: Registered['handlers'] = {};
    for (const [stateName, b] of bindings) handlers[stateName] = this.taskHandler(stateName, b);
    const o = this.opts.retryIntervalOverrides;
    const retryOverrides = o === undefined ? undefined : typeof o === 'number' ? Object.fromEntries(retryableStates(raw).map((s) => [s, o])) : o;
    const arn = makeStateMachineArn(r.name);
    this.machines.set(arn, { arn, name: r.name, machine, handlers, retryOverrides });
    return arn;
  }

  stateMachineArn(name: string): string {
    const arn = makeStateMachineArn(name);
    if (!this.machines.has(arn)) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return arn;
  }

  get stateMachines(): Array<{ name: string; arn: string }> {
    return [...this.machines.values()].map((m) => ({ name: m.name, arn: m.arn }));
  }

  private taskHandler(stateName: string, b: TaskBinding): (input: unknown) => Promise<unknown> {
    if (b.kind === 'events-put') {
      return async (input) => {
        const bus = this.opts.bus;
        if (!bus) throw Object.assign(new Error('no local event bus'), { name: 'EventBridge.AmazonServiceException' });
        const entries = ((input as { Entries?: PutEventsEntry[] })?.Entries ?? []) as PutEventsEntry[];
        const res = bus.putEvents(entries.map((e) => ({ ...e, EventBusName: e.EventBusName ?? bus.busName })));
        if (res.FailedEntryCount > 0) {
          const e = new Error(JSON.stringify(res));
          e.name = 'EventBridge.FailedEntry';
          throw e;
        }
        return res;
      };
    }
    const handlers = this.opts.handlers;
    if (b.integration === 'direct') {
      return async (input) => {
        try {
          return await handlers.invoke(b.handler, input);
        } catch (err) {
          throw taskError(err);
        }
      };
    }
    return async (input) => {
      const params = (input ?? {}) as { Payload?: unknown };
      let payload: unknown;
      try {
        payload = await handlers.invoke(b.handler, params.Payload ?? {});
      } catch (err) {
        throw taskError(err);
      }
      const requestId = randomUUID();
      return {
        ExecutedVersion: '$LATEST',
        Payload: payload,
        SdkHttpMetadata: { HttpHeaders: { 'x-amzn-RequestId': requestId }, HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: requestId },
        StatusCode: 200,
      };
    };
  }

  /** AWS StartExecution. `input` is JSON text (or a value, serialized for you). */
  async startExecution(req: { stateMachineArn: string; name?: string; input?: string | unknown }): Promise<{ executionArn: string; startDate: Date }> {
    if (this.stopped) throw new Error('the local Step Functions runner is stopped');
    const sm = this.machines.get(req.stateMachineArn);
    if (!sm) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${req.stateMachineArn}'`);
    const name = req.name ?? randomUUID();
    if (!NAME_RE.test(name)) throw new SfnError('InvalidName', `Invalid Name: '${name}' (1-80 characters: letters, digits, - and _)`);
    const input = req.input === undefined ? '{}' : typeof req.input === 'string' ? req.input : JSON.stringify(req.input);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const arn = makeExecutionArn(sm.name, name);
    const record: ExecutionRecord = { executionArn: arn, stateMachineArn: sm.arn, name, status: 'RUNNING', input, startDate: new Date(), history: [], owner: this.owner };
    const live = this.live.get(arn);
    const created = live ? { created: false as const, existing: live.record } : await this.store.create(record);
    if (!created.created) {
      const ex = created.existing;
      if (ex.status === 'RUNNING' && canonical(ex.input) === canonical(input)) return { executionArn: ex.executionArn, startDate: ex.startDate };
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    this.launch(sm, record, parsed);
    return { executionArn: arn, startDate: record.startDate };
  }

  private launch(sm: Registered, record: ExecutionRecord, input: unknown): void {
    const history = record.history;
    const add = (e: Omit<HistoryEvent, 'id'>) => history.push({ id: history.length + 1, ...e });
    const run = sm.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: sm.handlers as never, retryIntervalOverrides: sm.retryOverrides },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: `arn:aws:iam::000000000000:role/local-sfn` },
        StateMachine: { Id: sm.arn, Name: sm.name },
      },
    });
    const collect = (async () => {
      let lastFailed: { error: string; cause: string } | undefined;
      for await (const ev of run.eventLogs) {
        const ts = new Date(ev.timestamp).toISOString();
        const st = 'state' in ev ? ev.state : undefined;
        switch (ev.type) {
          case 'ExecutionStarted':
            add({ timestamp: ts, type: 'ExecutionStarted', input: j(ev.input) });
            break;
          case 'StateEntered':
            add({ timestamp: ts, type: 'StateEntered', stateName: st!.name, stateType: st!.type, input: j(st!.input) });
            break;
          case 'StateExited':
            add({ timestamp: ts, type: 'StateExited', stateName: st!.name, stateType: st!.type, output: j(st!.output) });
            break;
          case 'StateFailed':
            lastFailed = { error: ev.Error, cause: strCause(ev.Cause) };
            add({ timestamp: ts, type: st!.type === 'Task' ? 'TaskFailed' : 'StateFailed', stateName: st!.name, stateType: st!.type, ...lastFailed });
            break;
          case 'StateRetried':
            add({ timestamp: ts, type: 'StateRetried', stateName: st!.name, stateType: st!.type, attempt: ev.retry.attempt, ...(lastFailed ?? {}) });
            break;
          case 'StateCaught':
            add({ timestamp: ts, type: 'StateCaught', stateName: st!.name, stateType: st!.type, ...(lastFailed ?? {}) });
            break;
          case 'ExecutionSucceeded':
            add({ timestamp: ts, type: 'ExecutionSucceeded', output: j(ev.output) });
            break;
          case 'ExecutionFailed':
            add({ timestamp: ts, type: 'ExecutionFailed', error: ev.Error, cause: strCause(ev.Cause) });
            break;
          case 'ExecutionAborted':
            add({ timestamp: ts, type: 'ExecutionAborted' });
            break;
          case 'ExecutionTimeout':
            add({ timestamp: ts, type: 'ExecutionTimedOut', error: 'States.Timeout' });
            break;
          default:
            add({ timestamp: ts, type: ev.type as HistoryEvent['type'], ...('parentState' in ev ? { stateName: ev.parentState.name } : {}) });
        }
      }
    })();

    const done = (async (): Promise<ExecutionDescription> => {
      try {
        const out = await run.result;
        record.status = 'SUCCEEDED';
        record.output = JSON.stringify(out ?? null);
      } catch (err) {
        const e = err as Error & { cause?: unknown };
        const inner = (e.name === 'ExecutionError' && e.cause instanceof Error ? e.cause : e) as Error;
        record.status = e.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : e.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
        record.error = e.name === 'ExecutionTimeoutError' ? 'States.Timeout' : inner.name;
        record.cause = inner.message;
      }
      record.stopDate = new Date();
      // The event log closes with the terminal event; give it a moment, but never hang on it.
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([collect, new Promise((r) => (wait = setTimeout(r, 1000)).unref())]).catch(() => undefined);
      clearTimeout(wait);
      // Aborted by a shutdown: leave it RUNNING in the store, so the next start can resume it.
      if (!(record.status === 'ABORTED' && this.stopped)) await this.persistFinish(record);
      this.live.delete(record.executionArn);
      if (record.status !== 'SUCCEEDED') log.info('sfn: execution ended', { executionArn: record.executionArn, status: record.status, error: record.error });
      return describe(record);
    })();
    this.live.set(record.executionArn, { record, done, abort: run.abort });
  }

  private async persistFinish(record: ExecutionRecord): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.finish(record);
        return;
      } catch (err) {
        if (this.stopped || attempt >= 20) {
          log.error('sfn: could not store the end of an execution', { executionArn: record.executionArn, error: (err as Error).message });
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  async describeExecution(executionArn: string): Promise<ExecutionDescription> {
    const live = this.live.get(executionArn);
    if (live) return describe(live.record);
    const r = await this.store.get(executionArn);
    if (!r) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return describe(r);
  }

  async getExecutionHistory(executionArn: string): Promise<HistoryEvent[]> {
    const live = this.live.get(executionArn);
    if (live) return [...live.record.history];
    const r = await this.store.get(executionArn);
    if (!r) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return r.history;
  }

  async listExecutions(req: { stateMachineArn: string; statusFilter?: ExecutionStatus; maxResults?: number; nextToken?: string }): Promise<{
    executions: ExecutionDescription[];
    nextToken?: string;
  }> {
    if (!this.machines.has(req.stateMachineArn)) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${req.stateMachineArn}'`);
    const limit = Math.min(Math.max(req.maxResults || 100, 1), 1000);
    const offset = req.nextToken ? Number(Buffer.from(req.nextToken, 'base64').toString('utf8')) || 0 : 0;
    const rows = await this.store.list(req.stateMachineArn, req.statusFilter, limit + 1, offset);
    const page = rows.slice(0, limit).map((r) => describe(this.live.get(r.executionArn)?.record ?? r));
    return rows.length > limit ? { executions: page, nextToken: Buffer.from(String(offset + limit)).toString('base64') } : { executions: page };
  }

  /** Resolves with the terminal description (for tests and tools); rejects after timeoutMs. */
  async waitForExecution(executionArn: string, timeoutMs = 60000): Promise<ExecutionDescription> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.live.get(executionArn);
      if (live) {
        const left = deadline - Date.now();
        let t: NodeJS.Timeout | undefined;
        const res = await Promise.race([live.done, new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), Math.max(0, left))))]);
        clearTimeout(t);
        if (res) return res;
      } else {
        const d = await this.describeExecution(executionArn);
        if (d.status !== 'RUNNING') return d;
        // RUNNING in the store but not here: another process runs it; poll.
        await new Promise((r) => setTimeout(r, 50));
      }
      if (Date.now() >= deadline) throw new Error(`execution ${executionArn} still RUNNING after ${timeoutMs} ms`);
    }
  }

  /** Executions currently running in this process. */
  get runningCount(): number {
    return this.live.size;
  }

  /** Resolves when every execution running in this process has ended. */
  async drain(): Promise<void> {
    while (this.live.size > 0) await Promise.allSettled([...this.live.values()].map((l) => l.done));
  }

  /**
   * Re-runs executions a crash left RUNNING (registered state machines only, and only orphans: their
   * runner's process is gone or the runner was stopped; an execution another live process runs is left
   * alone), from the start with their original input: tasks are idempotent on (orderId, step), so work
   * already done is not redone. (AWS would continue from the last state; the end result is the same.)
   * Claiming is atomic, so two processes resuming at once do not both run it. Returns how many.
   */
  async resumeRunning(): Promise<number> {
    const rows = await this.store.running([...this.machines.keys()]);
    let n = 0;
    for (const r of rows) {
      if (this.live.has(r.executionArn) || !isOrphan(r.owner)) continue;
      if (!(await this.store.claim(r.executionArn, r.owner, this.owner))) continue;
      const sm = this.machines.get(r.stateMachineArn)!;
      const record: ExecutionRecord = { ...r, status: 'RUNNING', history: [], owner: this.owner };
      this.launch(sm, record, JSON.parse(r.input));
      n++;
    }
    if (n > 0) log.info('sfn: resumed executions left RUNNING', { count: n });
    return n;
  }

  /**
   * Stops accepting executions; waits up to `graceMs` for running ones, then aborts the rest (they stay
   * RUNNING in the store, so a later start with resumeRunningExecutions re-runs them). Idempotent.
   */
  stop(graceMs = 5000): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([this.drain(), new Promise((r) => (t = setTimeout(r, graceMs)))]);
      clearTimeout(t);
      for (const l of this.live.values()) l.abort();
      await Promise.race([this.drain(), new Promise((r) => (t = setTimeout(r, 2000)))]);
      clearTimeout(t);
      activeRunners.delete(this.runnerId);
      if (this.opts.closeStoreOnStop !== false) await this.store.close();
    })();
    return this.stopping;
  }
}

