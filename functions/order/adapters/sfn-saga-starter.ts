import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { traced } from '../../shared/powertools';
import type { SagaStarter } from '../domain/saga-starter';

/**
 * Step Functions adapter. The SDK reads its endpoint from the environment (AWS_ENDPOINT_URL_SFN
 * locally: the runtime's AWS-JSON endpoint). The execution name is the order id, so a duplicate
 * order-created message starts nothing new: ExecutionAlreadyExists counts as success.
 */
export class SfnSagaStarter implements SagaStarter {
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
}
