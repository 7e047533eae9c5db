/** Port: starts the order saga. `started: false` when an execution with that name already exists. */
export interface SagaStarter {
  start(name: string, input: unknown): Promise<{ started: boolean; executionArn?: string }>;
}
