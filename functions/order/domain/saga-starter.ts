/** Port: starts the order saga. `started: false` when an execution with that name already exists. */
export interface SagaStarter {
  start(name: string, input: unknown): Promise<{ started: boolean; executionArn?: string }>;
}

export type SagaExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** The error a saga input carries to run only the compensations (the ASL's StartOrCompensate reads `$.error`). */
export interface SagaError {
  readonly Error: string;
  readonly Cause: string;
}

/** What the sweeper reads of an execution (DescribeExecution). */
export interface SagaExecution {
  readonly status: SagaExecutionStatus;
  /** A FAILED execution's error and cause (e.g. CompensationFailed, from the ASL's Fail state). */
  readonly error?: string;
  readonly cause?: string;
  /** The `error` its input carried: the execution was a compensation-only run. */
  readonly inputError?: SagaError;
}

/** Port for the sweeper: start executions and read one by name (undefined when none has that name). */
export interface SagaExecutions extends SagaStarter {
  describe(name: string): Promise<SagaExecution | undefined>;
}
