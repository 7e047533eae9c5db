/** Shapes of the local Step Functions control plane (a subset of the AWS API, same field names). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimedOut'
  | 'StateEntered'
  | 'StateExited'
  /** A Task state's resource failed (error = the Lambda errorType, cause = its JSON error payload). */
  | 'TaskFailed'
  /** A non-Task state failed (e.g. a Fail state, a States.* runtime error). */
  | 'StateFailed'
  | 'StateRetried'
  | 'StateCaught'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'ParallelBranchStarted'
  | 'ParallelBranchSucceeded'
  | 'ParallelBranchFailed';

export interface HistoryEvent {
  readonly id: number;
  readonly timestamp: string;
  readonly type: HistoryEventType;
  readonly stateName?: string;
  readonly stateType?: string;
  /** JSON text, as Step Functions reports inputs and outputs. */
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  /** For StateRetried: the retry attempt number (1 = first retry). */
  readonly attempt?: number;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** JSON text */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: HistoryEvent[];
  /** `host/pid/runnerId` of the runner executing it (used to tell a crashed execution from one another process runs). */
  owner?: string;
}

/** What DescribeExecution returns. */
export type ExecutionDescription = Omit<ExecutionRecord, 'history' | 'owner'>;

export interface ExecutionStore {
  init(): Promise<void>;
  /** Atomically creates the record unless one with the same executionArn exists (then returns it). */
  create(rec: ExecutionRecord): Promise<{ created: true } | { created: false; existing: ExecutionRecord }>;
  /** Stores the terminal state (status, output/error/cause, stopDate, history). */
  finish(rec: ExecutionRecord): Promise<void>;
  get(executionArn: string): Promise<ExecutionRecord | undefined>;
  /** Newest first. */
  list(stateMachineArn: string, status?: ExecutionStatus, limit?: number, offset?: number): Promise<ExecutionRecord[]>;
  /** Executions left RUNNING (e.g. by a crash) for these state machines. */
  running(stateMachineArns: readonly string[]): Promise<ExecutionRecord[]>;
  /** Atomically moves a RUNNING execution from `from` (its current owner) to `to`; false when someone else changed it first. */
  claim(executionArn: string, from: string | undefined, to: string): Promise<boolean>;
  close(): Promise<void>;
}

/** AWS error names, so SDK clients map them to their exception classes. */
export class SfnError extends Error {
  constructor(name: 'ExecutionAlreadyExists' | 'ExecutionDoesNotExist' | 'StateMachineDoesNotExist' | 'InvalidName' | 'InvalidExecutionInput' | 'InvalidArn' | 'ValidationException', message: string) {
    super(message);
    this.name = name;
  }
}
