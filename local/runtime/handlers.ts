import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { handlerByName, type HandlerDef, type PlatformManifest } from '../../lib/manifest';
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

function lambdaContext(def: HandlerDef, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: def.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: lambdaArn(def.name),
    memoryLimitInMB: String(def.memoryMb ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${def.name}`,
    logStreamName: `local/${region()}/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export class HandlerRegistry {
  private readonly modules = new Map<string, LambdaFn>();

  constructor(
    readonly manifest: PlatformManifest,
    private readonly rootDir = REPO_ROOT,
    /** Overrides a handler's timeout (ms) for every invocation; tests use it. */
    private readonly timeoutOverrideMs?: number,
  ) {}

  def(name: string): HandlerDef {
    return handlerByName(name, this.manifest);
  }

  /** Loads (once) and returns the exported function of a manifest handler. */
  load(name: string): LambdaFn {
    const cached = this.modules.get(name);
    if (cached) return cached;
    const def = this.def(name);
    const file = path.resolve(this.rootDir, def.entry);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Record<string, unknown>;
    const exportName = def.export ?? 'handler';
    const fn = mod[exportName];
    if (typeof fn !== 'function') throw new Error(`handler '${name}': ${def.entry} has no exported function '${exportName}'`);
    this.modules.set(name, fn as LambdaFn);
    return fn as LambdaFn;
  }

  /**
   * Invokes a handler like Lambda (RequestResponse). Resolves with the JSON round-tripped result;
   * rejects with a LambdaInvocationError (errorType = the thrown error's name).
   */
  async invoke<T = unknown>(name: string, event: unknown): Promise<T> {
    const def = this.def(name);
    const fn = this.load(name);
    const timeoutMs = this.timeoutOverrideMs ?? (def.timeoutSeconds ?? 10) * 1000;
    const payload = event === undefined ? undefined : (JSON.parse(JSON.stringify(event)) as unknown);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      const result = await Promise.race([Promise.resolve().then(() => fn(payload, lambdaContext(def, timeoutMs))), timeout]);
      return (result === undefined ? null : JSON.parse(JSON.stringify(result))) as T;
    } catch (err) {
      throw toInvocationError(err);
    } finally {
      clearTimeout(timer);
    }
  }
}
