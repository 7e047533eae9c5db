/**
 * Reads an ASL definition the way the deployers see it: finds every Task state (also inside Parallel
 * branches and Map iterators), works out what it calls, and substitutes `${Placeholder}`s.
 *
 * A Task calls:
 *  - a Lambda directly: Resource `${XFunctionArn}` (or a literal Lambda ARN);
 *  - a Lambda through the optimized integration: Resource `arn:aws:states:::lambda:invoke` with
 *    Parameters.FunctionName `${XFunctionArn}` or `${XFunctionArn}:$LATEST` (result { Payload, StatusCode, ... });
 *  - EventBridge: Resource `arn:aws:states:::events:putEvents`.
 * Placeholders map to manifest handler names through `taskFunctions`.
 */
export type TaskBinding =
  | { readonly kind: 'lambda'; readonly handler: string; readonly integration: 'direct' | 'invoke' }
  | { readonly kind: 'events-put' };

export type AslDefinition = { StartAt: string; States: Record<string, AslState>; [k: string]: unknown };
export type AslState = { Type: string; Resource?: string; Parameters?: Record<string, unknown>; [k: string]: unknown };

const PLACEHOLDER = /^\$\{([A-Za-z0-9_]+)\}(?::[A-Za-z0-9$_-]+)?$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;

/** Every state of the definition, nested ones included, as [name, state]. */
export function allStates(def: { States: Record<string, AslState> }): Array<[string, AslState]> {
  const out: Array<[string, AslState]> = [];
  for (const [name, st] of Object.entries(def.States)) {
    out.push([name, st]);
    if (st.Type === 'Parallel') for (const b of (st.Branches as AslDefinition[]) ?? []) out.push(...allStates(b));
    if (st.Type === 'Map') {
      const inner = (st.ItemProcessor ?? st.Iterator) as AslDefinition | undefined;
      if (inner) out.push(...allStates(inner));
    }
  }
  return out;
}

function functionRef(value: unknown, taskFunctions: Readonly<Record<string, string>>, knownHandlers: ReadonlySet<string>, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: FunctionName must be a literal string (dynamic FunctionName.$ is not supported locally)`);
  const ph = PLACEHOLDER.exec(value);
  if (ph) {
    const handler = taskFunctions[ph[1] as string];
    if (!handler) throw new Error(`${where}: placeholder \${${ph[1]}} is not in the state machine's taskFunctions`);
    return handler;
  }
  const arn = LAMBDA_ARN.exec(value);
  if (arn && knownHandlers.has(arn[1] as string)) return arn[1] as string;
  throw new Error(`${where}: cannot map '${value}' to a manifest handler`);
}

export function bindTasks(
  def: AslDefinition,
  taskFunctions: Readonly<Record<string, string>>,
  knownHandlers: ReadonlySet<string>,
): Map<string, TaskBinding> {
  const bindings = new Map<string, TaskBinding>();
  for (const [name, st] of allStates(def)) {
    if (st.Type !== 'Task') continue;
    const where = `Task state '${name}'`;
    const resource = st.Resource ?? '';
    let b: TaskBinding;
    if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) {
      b = { kind: 'lambda', integration: 'invoke', handler: functionRef(st.Parameters?.FunctionName, taskFunctions, knownHandlers, where) };
    } else if (/^arn:aws[a-z-]*:states:::events:putEvents$/.test(resource)) {
      b = { kind: 'events-put' };
    } else if (PLACEHOLDER.test(resource) || LAMBDA_ARN.test(resource)) {
      b = { kind: 'lambda', integration: 'direct', handler: functionRef(resource, taskFunctions, knownHandlers, where) };
    } else {
      throw new Error(`${where}: resource '${resource}' is not supported by the local runtime (lambda, lambda:invoke, events:putEvents)`);
    }
    if (bindings.has(name)) throw new Error(`duplicate state name '${name}'`);
    bindings.set(name, b);
  }
  return bindings;
}

/** Replaces `${Name}` in every string of the definition; throws naming placeholders left without a value. */
export function substitute<T>(def: T, values: Readonly<Record<string, string>>): T {
  const missing = new Set<string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, k: string) => {
        if (k in values) return values[k] as string;
        missing.add(k);
        return m;
      });
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(def) as T;
  if (missing.size > 0) throw new Error(`ASL placeholders without a value: ${[...missing].join(', ')}`);
  return out;
}

/** State names with a Retry field (nested ones included), for a global retry interval override. */
export function retryableStates(def: AslDefinition): string[] {
  return allStates(def)
    .filter(([, st]) => Array.isArray(st.Retry) && (st.Retry as unknown[]).length > 0)
    .map(([n]) => n);
}
