/** Port: starts the order saga. `started: false` when an execution with that name already exists. */
export interface SagaStarter {
  start(name: string, input: unknown): Promise<{ started: boolean; executionArn?: string }>;
}

export type SagaExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** Port for the sweeper: start executions and read one by name (undefined when none has that name). */
export interface SagaExecutions extends SagaStarter {
  describe(name: string): Promise<{ status: SagaExecutionStatus } | undefined>;
}
