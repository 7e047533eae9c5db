import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { traced } from '../../shared/powertools';
import type { SagaExecutionStatus, SagaExecutions } from '../domain/saga-starter';

/** The ARN of the execution `name` of a state machine (arn:...:stateMachine:M -> arn:...:execution:M:name). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Step Functions adapter. The SDK reads its endpoint from the environment (AWS_ENDPOINT_URL_SFN
 * locally: the runtime's AWS-JSON endpoint). The execution name is the order id, so a duplicate
 * order-created message starts nothing new: ExecutionAlreadyExists counts as success.
 */
export class SfnSagaStarter implements SagaExecutions {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = traced(new SFNClient({})),
  ) {}

  async start(name: string, input: unknown) {
    try {
      const out = await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      return { started: true, ...(out.executionArn ? { executionArn: out.executionArn } : {}) };
    } catch (err) {
      if ((err as Error).name === 'ExecutionAlreadyExists') return { started: false };
      throw err;
    }
  }

  /** DescribeExecution by name; undefined when no execution has that name (ExecutionDoesNotExist). */
  async describe(name: string): Promise<{ status: SagaExecutionStatus } | undefined> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, name) }));
      return { status: (out.status ?? 'RUNNING') as SagaExecutionStatus };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  }
}
