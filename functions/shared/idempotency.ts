import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { getPool, inlineStatement } from './adapters/pg';
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

/**
 * Takes the per-order lock of a namespace, held until the transaction ends. Besides the payment
 * steps, the `payment` lock orders a refund's start against a crypto payment's verification of the
 * same order (functions/payment/adapters/pg-payments.ts `beginRefund`, functions/web3/adapters/pg-web3.ts
 * `lockForPayment`): whichever comes second sees the other.
 */
export async function lockOrder(tx: PoolClient, ns: LockNamespace, orderId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NAMESPACE_IDS[ns], orderId]);
}

/** Takes the per-order lock (held until the transaction ends) and returns the recorded steps of the order. */
export async function lockOrderSteps(tx: PoolClient, ns: LockNamespace, orderId: string): Promise<Map<string, unknown>> {
  await lockOrder(tx, ns, orderId);
  const r = await tx.query<{ step: string; result: unknown }>('SELECT step, result FROM processed_messages WHERE order_id = $1', [orderId]);
  return new Map(r.rows.map((row) => [row.step, row.result]));
}

export async function recordStep(tx: PoolClient, orderId: string, step: string, result: unknown): Promise<void> {
  await tx.query('INSERT INTO processed_messages (order_id, step, result) VALUES ($1, $2, $3::jsonb)', [orderId, step, JSON.stringify(result ?? {})]);
}

/** The step's own statement, sent in the round trip that opens the step (see runStepOnce). */
export interface StepBody {
  /** Parameterised SQL; every `$n` cast (`$1::uuid`), no other `$` (see inlineStatement). */
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * A step's normal path, given in advance so the step can run in ONE round trip (see runStepOnce):
 * what the step records and enqueues when it goes as expected, and its statement with that
 * expectation checked inside it (`saga_expect(...)`, which raises SG002 otherwise).
 */
export interface NormalPath<T> {
  /** The step's statement for this path: raises (saga_expect) whenever the general path would not return `result`. */
  readonly body: StepBody;
  /** Recorded steps that rule the normal path out (e.g. the compensation that undoes this step). */
  readonly conflicts?: readonly string[];
  readonly result: T;
  readonly outbox?: readonly OutboxMessage[];
}

/** SQLSTATEs of the one-round-trip path's refusals (migration 1764800000000), and a database without its functions. */
const OFF_NORMAL_PATH = new Set(['SG001', 'SG002', '42883']);

/** SAGA_STEP_ONE_ROUND_TRIP=false sends every step the general way (two round trips). */
export function oneRoundTripEnabled(): boolean {
  return (process.env.SAGA_STEP_ONE_ROUND_TRIP ?? 'true').toLowerCase() !== 'false';
}

let warnedMissingFunctions = false;

/**
 * The normal path in one round trip: ONE multi-statement simple query, which PostgreSQL runs as one
 * implicit transaction (any error rolls every statement back, and the advisory lock ends with it):
 * saga_step_open (the per-order lock; SG001 when this step or a conflicting one is recorded), the
 * step's statement (SG002 off its normal path), saga_step_close (the record and the outbox rows).
 * Returns undefined when refused: the caller then runs the step the general way.
 */
async function runNormalPath<T>(opts: { readonly ns: LockNamespace; readonly orderId: string; readonly step: string }, normal: NormalPath<T>): Promise<StepOutcome<T> | undefined> {
  const tx = await (await getPool()).connect();
  try {
    const outbox = (normal.outbox ?? []).map((m) => ({ id: m.event.id, topic: m.topic, key: m.key, event: m.event }));
    // Each of the three is a prepared statement when those are on (parsed and planned once per connection).
    const statements = [
      await inlineStatement(tx, 'SELECT saga_step_open($1::int, $2::text, $3::text, $4::text[])', [NAMESPACE_IDS[opts.ns], opts.orderId, opts.step, normal.conflicts ?? []]),
      await inlineStatement(tx, normal.body.text, normal.body.values),
      await inlineStatement(tx, 'SELECT saga_step_close($1::text, $2::text, $3::jsonb, $4::jsonb)', [opts.orderId, opts.step, JSON.stringify(normal.result ?? {}), JSON.stringify(outbox)]),
    ];
    await tx.query(statements.join('; '));
    return { result: normal.result, replayed: false };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && OFF_NORMAL_PATH.has(code)) {
      if (code === '42883' && !warnedMissingFunctions) {
        warnedMissingFunctions = true;
        process.emitWarning(`saga steps run in two round trips: the database lacks the one-round-trip functions (run the migrations): ${(err as Error).message}`);
      }
      return undefined;
    }
    throw err;
  } finally {
    tx.release();
  }
}

/**
 * Runs a saga step at most once per (order id, step).
 *
 * With `opts.normal` (and SAGA_STEP_ONE_ROUND_TRIP not false), ONE round trip when the step goes as
 * expected (see runNormalPath); when it does not (a replay, a conflicting step, the statement off
 * its normal path), nothing of it is kept and the step runs the general way below, whose `fn` is
 * the authority: for every state in which the normal path commits, `fn` must return
 * `normal.result` and enqueue `normal.outbox` (test/integration/saga/steps.test.ts runs both).
 *
 * The general way, two round trips:
 *
 *  1. BEGIN, the per-order advisory lock, the order's recorded steps and, when given, the step's
 *     own statement (`opts.body`): one multi-statement simple query, each statement with its own
 *     snapshot, so the steps are read and the body runs AFTER the lock is held;
 *  2. the step's record, its outbox rows and COMMIT.
 *
 * `fn` gets the body's rows and decides: it returns the step's result (and may run more
 * statements on `tx`), or throws, which rolls everything back, the body's writes included. When
 * the step was recorded before, the body's writes are rolled back too and the stored result is
 * returned without calling `fn` (through `opts.replay` when given). A body must therefore be harmless to run when the step turns out
 * to be done or refused (no error on a replay: e.g. ON CONFLICT DO NOTHING).
 */
export async function runStepOnce<T, R extends QueryResultRow = QueryResultRow>(
  opts: {
    readonly ns: LockNamespace;
    readonly orderId: string;
    readonly step: string;
    readonly body?: StepBody;
    readonly normal?: NormalPath<T>;
    /**
     * Called instead of returning the stored result when the step was recorded before, with the
     * order's recorded steps; it may refuse the replay by throwing (e.g. a restarted saga whose
     * earlier run already compensated must not go forward on a replayed result).
     */
    readonly replay?: (stored: T, done: ReadonlyMap<string, unknown>) => T;
  },
  fn: (ctx: StepContext & { readonly rows: readonly R[] }) => Promise<T>,
): Promise<StepOutcome<T>> {
  if (opts.normal && oneRoundTripEnabled()) {
    const done = await runNormalPath(opts, opts.normal);
    if (done) return done;
  }
  const tx = await (await getPool()).connect();
  const lit = (v: string) => tx.escapeLiteral(v);
  try {
    const body = opts.body ? await inlineStatement(tx, opts.body.text, opts.body.values) : undefined;
    const opened = (await tx.query(
      [
        'BEGIN',
        `SELECT pg_advisory_xact_lock(${NAMESPACE_IDS[opts.ns]}, hashtext(${lit(opts.orderId)}))`,
        `SELECT step, result FROM processed_messages WHERE order_id = ${lit(opts.orderId)}`,
        ...(body ? [body] : []),
      ].join('; '),
    )) as unknown as QueryResult[];
    const done = new Map((opened[2]?.rows ?? []).map((row: { step: string; result: unknown }) => [row.step, row.result]));
    if (done.has(opts.step)) {
      await tx.query('ROLLBACK');
      const stored = done.get(opts.step) as T;
      return { result: opts.replay ? opts.replay(stored, done) : stored, replayed: true };
    }
    const outbox: OutboxMessage[] = [];
    const rows = (opened[3]?.rows ?? []) as R[];
    const result = await fn({ tx, done, rows, enqueue: (...m) => void outbox.push(...m) });
    const values = outbox.map((m) => `(${lit(m.event.id)}::uuid, ${lit(m.topic)}, ${lit(m.key)}, ${lit(JSON.stringify(m.event))}::jsonb)`);
    await tx.query(
      [
        `INSERT INTO processed_messages (order_id, step, result) VALUES (${lit(opts.orderId)}, ${lit(opts.step)}, ${lit(JSON.stringify(result ?? {}))}::jsonb)`,
        ...(values.length ? [`INSERT INTO outbox (event_id, topic, message_key, payload) VALUES ${values.join(', ')}`] : []),
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
