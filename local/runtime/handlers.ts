import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { runAsService } from '../../functions/shared/adapters/pg';
import { handlerByName, type HandlerDef, type PlatformManifest, type ServiceName } from '../../lib/manifest';
import { lambdaArn, region } from './env';

/**
 * Loads manifest handlers (entry + export) once and invokes them the way Lambda does:
 * (event, context) with a Lambda-like context, the event and the result round-tripped through
 * JSON, the function timeout enforced, and a thrown error reported as { errorType, errorMessage }
 * where errorType is the error's name (what Lambda's Node.js runtime reports).
 */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type LambdaFn = (event: unknown, context: Context) => unknown;

/** What Lambda reports for a failed invocation (and Step Functions uses as Error / Cause). */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: readonly string[] = [],
    readonly original?: unknown,
  ) {
    super(errorMessage);
    this.name = errorType;
  }
  /** Lambda's error payload; Step Functions puts it, as a JSON string, in the `Cause` of a task failure. */
  toPayload(): { errorType: string; errorMessage: string; trace: readonly string[] } {
    return { errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace };
  }
}

export function toInvocationError(err: unknown): LambdaInvocationError {
  if (err instanceof LambdaInvocationError) return err;
  if (err instanceof Error) {
    const name = err.name && err.name !== 'Error' ? err.name : err.constructor?.name || 'Error';
    return new LambdaInvocationError(name, err.message, (err.stack ?? '').split('\n').slice(1, 11).map((l) => l.trim()), err);
  }
  return new LambdaInvocationError('Error', typeof err === 'string' ? err : JSON.stringify(err), [], err);
}

/** What every invocation of one handler shares: resolved once per handler (not per invocation). */
interface Loaded {
  readonly def: HandlerDef;
  /** The handler's service: its invocations run in that service's scope (its PostgreSQL role: local/runtime/db-roles.ts). */
  readonly service: ServiceName;
  readonly fn: LambdaFn;
  readonly timeoutMs: number;
  readonly timeoutMessage: string;
  readonly arn: string;
  readonly memory: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

const noop = (): undefined => undefined;
function remainingTime(deadline: number): () => number {
  return () => Math.max(0, deadline - Date.now());
}

function lambdaContext(l: Loaded): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: l.def.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: l.arn,
    memoryLimitInMB: l.memory,
    awsRequestId: randomUUID(),
    logGroupName: l.logGroupName,
    logStreamName: l.logStreamName,
    getRemainingTimeInMillis: remainingTime(Date.now() + l.timeoutMs),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}

export class HandlerRegistry {
  private readonly loaded = new Map<string, Loaded>();

  constructor(
    readonly manifest: PlatformManifest,
    private readonly rootDir = REPO_ROOT,
    /** Overrides a handler's timeout (ms) for every invocation; tests use it. */
    private readonly timeoutOverrideMs?: number,
  ) {}

  def(name: string): HandlerDef {
    return this.loaded.get(name)?.def ?? handlerByName(name, this.manifest);
  }

  /** Loads (once) and returns the exported function of a manifest handler. */
  load(name: string): LambdaFn {
    return this.entry(name).fn;
  }

  /** The handler's module and everything its invocations share, resolved on first use. */
  private entry(name: string): Loaded {
    const cached = this.loaded.get(name);
    if (cached) return cached;
    const def = handlerByName(name, this.manifest);
    const file = path.resolve(this.rootDir, def.entry);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Record<string, unknown>;
    const exportName = def.export ?? 'handler';
    const fn = mod[exportName];
    if (typeof fn !== 'function') throw new Error(`handler '${name}': ${def.entry} has no exported function '${exportName}'`);
    const timeoutMs = this.timeoutOverrideMs ?? (def.timeoutSeconds ?? 10) * 1000;
    const l: Loaded = {
      def,
      service: def.service,
      fn: fn as LambdaFn,
      timeoutMs,
      timeoutMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
      arn: lambdaArn(def.name),
      memory: String(def.memoryMb ?? 512),
      logGroupName: `/aws/lambda/${def.name}`,
      logStreamName: `local/${region()}/${process.pid}`,
    };
    this.loaded.set(name, l);
    return l;
  }

  /**
   * Invokes a handler like Lambda (RequestResponse). Resolves with the JSON round-tripped result;
   * rejects with a LambdaInvocationError (errorType = the thrown error's name).
   */
  async invoke<T = unknown>(name: string, event: unknown): Promise<T> {
    // The whole invocation, the module's first load included, runs as the handler's service: what it
    // starts (a publish after its commit, a timer) stays in that scope, and a nested invocation (a
    // saga task run by an execution this handler started in process) gets its own.
    return runAsService(this.loaded.get(name)?.service ?? handlerByName(name, this.manifest).service, () => this.invokeAs<T>(name, event));
  }

  private async invokeAs<T>(name: string, event: unknown): Promise<T> {
    const l = this.entry(name);
    const payload = event === undefined ? undefined : (JSON.parse(JSON.stringify(event)) as unknown);
    try {
      const result = await this.run(l, payload);
      return (result === undefined ? null : JSON.parse(JSON.stringify(result))) as T;
    } catch (err) {
      throw toInvocationError(err);
    }
  }

  /** Calls the handler (in a microtask, as before) and settles with its result, or Sandbox.Timedout after its timeout. */
  private run(l: Loaded, payload: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new LambdaInvocationError('Sandbox.Timedout', l.timeoutMessage)), l.timeoutMs);
      timer.unref();
      Promise.resolve()
        .then(() => l.fn(payload, lambdaContext(l)))
        .then(
          (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err);
          },
        );
    });
  }
}
