/**
 * A fast path for the JSONPath queries aws-local-stepfunctions makes on every state (InputPath,
 * OutputPath, `.$` parameters, Choice variables): `JSONPath({ path, json, wrap: false })` from
 * jsonpath-plus. For a plain dotted path (`$`, `$.a`, `$.a.b_c`), jsonpath-plus tokenizes the path,
 * walks it and, for a scalar result, throws and catches an internal `NewError` to return it (about
 * 2% of the runtime's CPU under bench:saga). The fast path walks such a path directly with the
 * same rules jsonpath-plus applies to a plain property name (`val && Object.hasOwn(val, name)` at
 * each step; a falsy document gives undefined); every other path or option goes to jsonpath-plus
 * unchanged. test/unit/runtime/jsonpath-fast.test.ts checks both give the same answers.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsonpath = require('jsonpath-plus') as { JSONPath: JSONPathFn & { __shopFastPath?: true } };

type JSONPathFn = (...args: unknown[]) => unknown;

const SIMPLE_PATH = /^\$(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const segmentsCache = new Map<string, readonly string[] | null>();

/** The property names of a plain dotted path, or null when the path needs jsonpath-plus. */
export function simplePathSegments(path: string): readonly string[] | null {
  let segs = segmentsCache.get(path);
  if (segs === undefined) {
    segs = SIMPLE_PATH.test(path) ? path.split('.').slice(1) : null;
    if (segmentsCache.size < 10000) segmentsCache.set(path, segs);
  }
  return segs;
}

/** What jsonpath-plus answers for a plain dotted path with wrap: false. */
export function evaluateSimplePath(json: unknown, segs: readonly string[]): unknown {
  if (!json) return undefined;
  let v: unknown = json;
  for (const k of segs) {
    if (v && Object.hasOwn(v as object, k)) v = (v as Record<string, unknown>)[k];
    else return undefined;
  }
  return v;
}

/** True for exactly `{ path: string, json, wrap: false }` (what aws-local-stepfunctions passes). */
function isPlainQuery(opts: unknown): opts is { path: string; json: unknown; wrap: false } {
  if (!opts || typeof opts !== 'object') return false;
  const o = opts as Record<string, unknown>;
  if (o.wrap !== false || typeof o.path !== 'string' || !Object.hasOwn(o, 'json')) return false;
  let n = 0;
  for (const _ in o) n++;
  return n === 3;
}

/** Replaces jsonpath-plus's JSONPath export with the fast path (once per process). */
export function installJsonPathFastPath(): void {
  const original = jsonpath.JSONPath;
  if (original.__shopFastPath) return;
  const fast = function JSONPath(this: unknown, ...args: unknown[]): unknown {
    if (new.target) return Reflect.construct(original, args, new.target) as unknown;
    const opts = args[0];
    if (args.length === 1 && isPlainQuery(opts)) {
      const segs = simplePathSegments(opts.path);
      if (segs) return evaluateSimplePath(opts.json, segs);
    }
    return original.apply(this, args);
  } as unknown as JSONPathFn & { __shopFastPath?: true };
  Object.setPrototypeOf(fast, original); // static members (toPathArray, cache, ...)
  fast.prototype = original.prototype; // `instanceof JSONPath` keeps working
  fast.__shopFastPath = true;
  jsonpath.JSONPath = fast;
}

/** The jsonpath-plus function itself (tests compare against it). */
export function originalJsonPath(): JSONPathFn {
  const f = jsonpath.JSONPath as JSONPathFn & { __shopFastPath?: true };
  return f.__shopFastPath ? (Object.getPrototypeOf(f) as JSONPathFn) : f;
}
