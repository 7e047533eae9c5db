import type { PoolClient, QueryResult } from 'pg';
import { getPool } from './adapters/pg';
import type { OutboxMessage } from './outbox';

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
  /** Adds outbox messages written in the closing round trip, in the same transaction as the step. */
  enqueue(...msgs: OutboxMessage[]): void;
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

/**
 * One round trip to open the step (BEGIN, the order lock, the recorded steps) and one to close it
 * (record + COMMIT): multi-statement simple queries, each statement with its own snapshot, so the
 * steps are read AFTER the lock is held. Values are quoted with the driver's escapeLiteral.
 */
export async function runStepOnce<T>(
  opts: { readonly ns: LockNamespace; readonly orderId: string; readonly step: string },
  fn: (ctx: StepContext) => Promise<T>,
): Promise<StepOutcome<T>> {
  const tx = await (await getPool()).connect();
  const lit = (v: string) => tx.escapeLiteral(v);
  try {
    const opened = (await tx.query(
      `BEGIN; SELECT pg_advisory_xact_lock(${NAMESPACE_IDS[opts.ns]}, hashtext(${lit(opts.orderId)})); SELECT step, result FROM processed_messages WHERE order_id = ${lit(opts.orderId)}`,
    )) as unknown as QueryResult<{ step: string; result: unknown }>[];
    const done = new Map((opened[2]?.rows ?? []).map((row) => [row.step, row.result]));
    if (done.has(opts.step)) {
      await tx.query('ROLLBACK');
      return { result: done.get(opts.step) as T, replayed: true };
    }
    const outbox: OutboxMessage[] = [];
    const result = await fn({ tx, done, enqueue: (...m) => void outbox.push(...m) });
    const rows = outbox.map((m) => `(${lit(m.event.id)}::uuid, ${lit(m.topic)}, ${lit(m.key)}, ${lit(JSON.stringify(m.event))}::jsonb)`);
    await tx.query(
      [
        `INSERT INTO processed_messages (order_id, step, result) VALUES (${lit(opts.orderId)}, ${lit(opts.step)}, ${lit(JSON.stringify(result ?? {}))}::jsonb)`,
        ...(rows.length ? [`INSERT INTO outbox (event_id, topic, message_key, payload) VALUES ${rows.join(', ')}`] : []),
        'COMMIT',
      ].join('; '),
    );
    return { result, replayed: false };
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}

/** Reads the recorded steps of an order without locking (for read-only checks outside a step). */
export async function stepsOf(tx: PoolClient, orderId: string): Promise<Map<string, unknown>> {
  const r = await tx.query<{ step: string; result: unknown }>('SELECT step, result FROM processed_messages WHERE order_id = $1', [orderId]);
  return new Map(r.rows.map((row) => [row.step, row.result]));
}
