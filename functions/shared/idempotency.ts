import type { PoolClient } from 'pg';
import { withTransaction } from './adapters/pg';

/**
 * Exactly-once effect for saga steps, in PostgreSQL: each step of an order runs at most once.
 * `runStepOnce` takes a per-order advisory lock (so the steps of one order never interleave, e.g. a
 * late reserve and its release), reads the steps already done for the order, and either replays the
 * stored result or runs the step and records it in `processed_messages` in the SAME transaction as
 * the step's writes. A step that throws leaves no trace (the transaction rolls back).
 */
export type LockNamespace = 'order' | 'inventory' | 'payment';
const NAMESPACE_IDS: Record<LockNamespace, number> = { order: 41001, inventory: 41002, payment: 41003 };

export interface StepContext {
  readonly tx: PoolClient;
  /** Steps already recorded for this order (any namespace), with their stored results. */
  readonly done: ReadonlyMap<string, unknown>;
}

export interface StepOutcome<T> {
  readonly result: T;
  /** True when the step had run before and its stored result was returned. */
  readonly replayed: boolean;
}

/** Takes the per-order lock (held until the transaction ends) and returns the recorded steps of the order. */
export async function lockOrderSteps(tx: PoolClient, ns: LockNamespace, orderId: string): Promise<Map<string, unknown>> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NAMESPACE_IDS[ns], orderId]);
  const r = await tx.query<{ step: string; result: unknown }>('SELECT step, result FROM processed_messages WHERE order_id = $1', [orderId]);
  return new Map(r.rows.map((row) => [row.step, row.result]));
}

export async function recordStep(tx: PoolClient, orderId: string, step: string, result: unknown): Promise<void> {
  await tx.query('INSERT INTO processed_messages (order_id, step, result) VALUES ($1, $2, $3::jsonb)', [orderId, step, JSON.stringify(result ?? {})]);
}

export async function runStepOnce<T>(
  opts: { readonly ns: LockNamespace; readonly orderId: string; readonly step: string },
  fn: (ctx: StepContext) => Promise<T>,
): Promise<StepOutcome<T>> {
  return withTransaction(async (tx) => {
    const done = await lockOrderSteps(tx, opts.ns, opts.orderId);
    if (done.has(opts.step)) return { result: done.get(opts.step) as T, replayed: true };
    const result = await fn({ tx, done });
    await recordStep(tx, opts.orderId, opts.step, result);
    return { result, replayed: false };
  });
}

/** Reads the recorded steps of an order without locking (for read-only checks outside a step). */
export async function stepsOf(tx: PoolClient, orderId: string): Promise<Map<string, unknown>> {
  const r = await tx.query<{ step: string; result: unknown }>('SELECT step, result FROM processed_messages WHERE order_id = $1', [orderId]);
  return new Map(r.rows.map((row) => [row.step, row.result]));
}
