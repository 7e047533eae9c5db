import { Pool } from 'pg';
import { poolOptions, survivesLostConnections } from '../../../functions/shared/adapters/pg';
import { log } from '../log';
import type { ExecutionRecord, ExecutionStatus, ExecutionStore } from './types';

/** Executions in memory: lost on restart. For unit tests and `executionStore: 'memory'`. */
export class MemoryExecutionStore implements ExecutionStore {
  private readonly byArn = new Map<string, ExecutionRecord>();
  async init(): Promise<void> {}
  async create(rec: ExecutionRecord) {
    const existing = this.byArn.get(rec.executionArn);
    if (existing) return { created: false as const, existing: structuredClone(existing) };
    this.byArn.set(rec.executionArn, structuredClone(rec));
    return { created: true as const };
  }
  async finish(rec: ExecutionRecord): Promise<void> {
    this.byArn.set(rec.executionArn, structuredClone(rec));
  }
  async get(arn: string) {
    const r = this.byArn.get(arn);
    return r && structuredClone(r);
  }
  async list(sm: string, status?: ExecutionStatus, limit = 100, offset = 0) {
    return [...this.byArn.values()]
      .filter((r) => r.stateMachineArn === sm && (!status || r.status === status))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .slice(offset, offset + limit)
      .map((r) => structuredClone(r));
  }
  async running(sms: readonly string[]) {
    return [...this.byArn.values()].filter((r) => r.status === 'RUNNING' && sms.includes(r.stateMachineArn)).map((r) => structuredClone(r));
  }
  async claim(arn: string, from: string | undefined, to: string): Promise<boolean> {
    const r = this.byArn.get(arn);
    if (!r || r.status !== 'RUNNING' || r.owner !== from) return false;
    r.owner = to;
    return true;
  }
  async close(): Promise<void> {}
}

/**
 * Executions in PostgreSQL (schema `local_runtime`, table `sfn_executions`): they survive a restart
 * like AWS executions do, a duplicate StartExecution name is detected across restarts and processes
 * (the primary key makes `create` atomic), and executions a crash left RUNNING can be resumed.
 * Two writes per execution (start, end); the history is written with the terminal state.
 */
export class PgExecutionStore implements ExecutionStore {
  private readonly pool: Pool;
  private readonly retentionDays: number;
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiring: Promise<unknown> | undefined;
  /**
   * @param opts.retentionDays how long an execution is kept after it ended, as Step Functions keeps a
   *   Standard workflow's (90 days; LOCAL_SFN_RETENTION_DAYS). Expired ones are deleted at `init` and
   *   then every hour; RUNNING ones never.
   */
  constructor(connectionString: string, opts: { retentionDays?: number } = {}) {
    this.retentionDays = opts.retentionDays ?? retentionDaysFromEnv();
    this.pool = survivesLostConnections(new Pool(poolOptions(connectionString, 5)), (message, extra) => log.warn(`execution store: ${message}`, extra));
  }

  /** Deletes the executions that ended more than `days` ago; returns how many. */
  async expire(days = this.retentionDays): Promise<number> {
    const r = await this.pool.query(`DELETE FROM local_runtime.sfn_executions WHERE stop_date < now() - $1::float8 * interval '1 day' AND status <> 'RUNNING'`, [days]);
    return r.rowCount ?? 0;
  }

  private scheduleExpiry(): void {
    const run = () =>
      this.expire().then(
        (n) => n > 0 && log.info('execution store: expired executions deleted', { deleted: n, retentionDays: this.retentionDays }),
        (err: Error) => log.warn('execution store: expiry failed (tried again in an hour)', { error: err.message }),
      );
    this.expiring = run();
    this.expiryTimer = setInterval(() => void (this.expiring = run()), 3600_000);
    this.expiryTimer.unref();
  }

  async init(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query("SELECT pg_advisory_xact_lock(hashtext('local_runtime.sfn_executions'))");
      await c.query('CREATE SCHEMA IF NOT EXISTS local_runtime');
      await c.query(`CREATE TABLE IF NOT EXISTS local_runtime.sfn_executions (
        execution_arn text PRIMARY KEY,
        state_machine_arn text NOT NULL,
        name text NOT NULL,
        status text NOT NULL,
        input text NOT NULL,
        output text,
        error text,
        cause text,
        start_date timestamptz NOT NULL,
        stop_date timestamptz,
        history jsonb NOT NULL DEFAULT '[]'::jsonb
      )`);
      await c.query('ALTER TABLE local_runtime.sfn_executions ADD COLUMN IF NOT EXISTS owner text');
      await c.query('CREATE INDEX IF NOT EXISTS sfn_executions_sm_start ON local_runtime.sfn_executions (state_machine_arn, start_date DESC)');
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
    this.scheduleExpiry();
  }

  private static row(r: Record<string, unknown>): ExecutionRecord {
    const rec: ExecutionRecord = {
      executionArn: r.execution_arn as string,
      stateMachineArn: r.state_machine_arn as string,
      name: r.name as string,
      status: r.status as ExecutionStatus,
      input: r.input as string,
      startDate: r.start_date as Date,
      history: (r.history as ExecutionRecord['history']) ?? [],
    };
    if (r.output != null) rec.output = r.output as string;
    if (r.error != null) rec.error = r.error as string;
    if (r.cause != null) rec.cause = r.cause as string;
    if (r.stop_date != null) rec.stopDate = r.stop_date as Date;
    if (r.owner != null) rec.owner = r.owner as string;
    return rec;
  }

  async create(rec: ExecutionRecord) {
    const ins = await this.pool.query(
      `INSERT INTO local_runtime.sfn_executions (execution_arn, state_machine_arn, name, status, input, start_date, owner)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (execution_arn) DO NOTHING RETURNING execution_arn`,
      [rec.executionArn, rec.stateMachineArn, rec.name, rec.status, rec.input, rec.startDate, rec.owner ?? null],
    );
    if (ins.rowCount === 1) return { created: true as const };
    const existing = await this.get(rec.executionArn);
    if (!existing) throw new Error(`execution ${rec.executionArn} vanished during create`);
    return { created: false as const, existing };
  }

  async finish(rec: ExecutionRecord): Promise<void> {
    await this.pool.query(
      `UPDATE local_runtime.sfn_executions SET status = $2, output = $3, error = $4, cause = $5, stop_date = $6, history = $7::jsonb
       WHERE execution_arn = $1`,
      [rec.executionArn, rec.status, rec.output ?? null, rec.error ?? null, rec.cause ?? null, rec.stopDate ?? null, JSON.stringify(rec.history)],
    );
  }

  async get(arn: string) {
    const r = await this.pool.query('SELECT * FROM local_runtime.sfn_executions WHERE execution_arn = $1', [arn]);
    return r.rows[0] ? PgExecutionStore.row(r.rows[0]) : undefined;
  }

  async list(sm: string, status?: ExecutionStatus, limit = 100, offset = 0) {
    const r = await this.pool.query(
      `SELECT execution_arn, state_machine_arn, name, status, input, output, error, cause, start_date, stop_date
       FROM local_runtime.sfn_executions WHERE state_machine_arn = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY start_date DESC LIMIT $3 OFFSET $4`,
      [sm, status ?? null, limit, offset],
    );
    return r.rows.map((x) => PgExecutionStore.row(x));
  }

  async running(sms: readonly string[]) {
    const r = await this.pool.query(`SELECT * FROM local_runtime.sfn_executions WHERE status = 'RUNNING' AND state_machine_arn = ANY($1::text[])`, [sms]);
    return r.rows.map((x) => PgExecutionStore.row(x));
  }

  async claim(arn: string, from: string | undefined, to: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE local_runtime.sfn_executions SET owner = $3 WHERE execution_arn = $1 AND status = 'RUNNING' AND owner IS NOT DISTINCT FROM $2`,
      [arn, from ?? null, to],
    );
    return r.rowCount === 1;
  }

  async close(): Promise<void> {
    clearInterval(this.expiryTimer);
    await this.expiring;
    await this.pool.end();
  }
}

function retentionDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LOCAL_SFN_RETENTION_DAYS?.trim();
  if (!raw) return 90;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`invalid environment: LOCAL_SFN_RETENTION_DAYS must be a positive number of days, got "${raw}"`);
  return n;
}
