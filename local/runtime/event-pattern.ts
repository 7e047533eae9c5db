/**
 * EventBridge event pattern matching (the subset the manifest uses, plus the cheap operators):
 *  - a key maps to an array of allowed values (OR), or to a nested pattern object (AND over keys);
 *  - values: exact strings/numbers/booleans/null, { prefix }, { suffix }, { 'anything-but': v | v[] | { prefix } },
 *    { exists: true|false }, { numeric: ['>', 0, '<=', 5] }, { 'equals-ignore-case': s };
 *  - an array in the event matches when any of its elements matches.
 */
export type EventPattern = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numericMatches(spec: unknown[], value: unknown): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const n = spec[i + 1] as number;
    const ok =
      op === '=' ? value === n : op === '>' ? value > n : op === '>=' ? value >= n : op === '<' ? value < n : op === '<=' ? value <= n : false;
    if (!ok) return false;
  }
  return true;
}

/** Does one allowed value (from the pattern's array) match one scalar event value? */
function valueMatches(allowed: unknown, value: unknown, present: boolean): boolean {
  if (!isObject(allowed)) return present && allowed === value;
  if ('exists' in allowed) return allowed.exists === present;
  if (!present) return false;
  if ('prefix' in allowed) return typeof value === 'string' && typeof allowed.prefix === 'string' && value.startsWith(allowed.prefix);
  if ('suffix' in allowed) return typeof value === 'string' && typeof allowed.suffix === 'string' && value.endsWith(allowed.suffix);
  if ('equals-ignore-case' in allowed)
    return typeof value === 'string' && typeof allowed['equals-ignore-case'] === 'string' && value.toLowerCase() === allowed['equals-ignore-case'].toLowerCase();
  if ('numeric' in allowed && Array.isArray(allowed.numeric)) return numericMatches(allowed.numeric, value);
  if ('anything-but' in allowed) {
    const ab = allowed['anything-but'];
    if (isObject(ab) && typeof ab.prefix === 'string') return !(typeof value === 'string' && value.startsWith(ab.prefix));
    const excluded = Array.isArray(ab) ? ab : [ab];
    return !excluded.includes(value as never);
  }
  throw new Error(`unsupported event pattern operator: ${JSON.stringify(allowed)}`);
}

function fieldMatches(rule: unknown, value: unknown, present: boolean): boolean {
  if (isObject(rule)) {
    // nested pattern: the event value must be an object matching every key
    if (!present || !isObject(value)) return Object.values(rule).every((r) => fieldMatches(r, undefined, false));
    return matchesPattern(rule, value);
  }
  if (!Array.isArray(rule)) throw new Error(`event pattern values must be arrays or objects, got ${JSON.stringify(rule)}`);
  const values = present && Array.isArray(value) ? value : [value];
  return rule.some((allowed) => values.some((v) => valueMatches(allowed, v, present)));
}

export function matchesPattern(pattern: EventPattern, event: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(pattern).every(([key, rule]) => fieldMatches(rule, event[key], key in event && event[key] !== undefined));
}
