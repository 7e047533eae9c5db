import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { traced } from '../../shared/powertools';
import type { SagaExecution, SagaExecutionStatus, SagaExecutions } from '../domain/saga-starter';
import { sagaErrorOf } from '../domain/sweeper';

/** The ARN of the execution `name` of a state machine (arn:...:stateMachine:M -> arn:...:execution:M:name). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * An answer whose execution started this much before the call is a repeat. Step Functions answers a
 * StartExecution with the same name and input as a RUNNING execution with that execution's own
 * response (its original startDate) instead of ExecutionAlreadyExists; the margin covers the
 * clock difference between the caller and the service.
 */
export const REPEAT_MARGIN_MS = 1000;

/**
 * Step Functions adapter. The SDK reads its endpoint from the environment (AWS_ENDPOINT_URL_SFN
 * locally: the runtime's AWS-JSON endpoint). The execution name is the order id, so a duplicate
 * order-created message starts nothing new: ExecutionAlreadyExists (the execution ended, or its input
 * differs) or the RUNNING execution's own answer (see REPEAT_MARGIN_MS) is `started: false`.
 */
export class SfnSagaStarter implements SagaExecutions {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = traced(new SFNClient({})),
  ) {}

  async start(name: string, input: unknown) {
    const asked = Date.now();
    try {
      const out = await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      const repeat = out.startDate !== undefined && out.startDate.getTime() < asked - REPEAT_MARGIN_MS;
      return { started: !repeat, ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
    } catch (err) {
      if ((err as Error).name === 'ExecutionAlreadyExists') return { started: false };
      throw err;
    }
  }

  /**
   * DescribeExecution by name; undefined when no execution has that name (ExecutionDoesNotExist). A
   * FAILED execution's error and cause are passed on (the sweeper restarts one that failed with
   * CompensationFailed in compensation-only mode), and so is the `error` its input carried (it was
   * itself a compensation-only run).
   */
  async describe(name: string): Promise<SagaExecution | undefined> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, name) }));
      const inputError = sagaErrorOf(out.input);
      return {
        status: (out.status ?? 'RUNNING') as SagaExecutionStatus,
        ...(out.error !== undefined ? { error: out.error } : {}),
        ...(out.cause !== undefined ? { cause: out.cause } : {}),
        ...(inputError ? { inputError } : {}),
      };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  }
}
