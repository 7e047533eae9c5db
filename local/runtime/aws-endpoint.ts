import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEventBus, PutEventsEntry } from './eventbus';
import { log } from './log';
import type { LocalStepFunctions } from './sfn/runner';
import type { ExecutionDescription, ExecutionStatus, HistoryEvent } from './sfn/types';

/**
 * A minimal AWS JSON-protocol endpoint for the two control planes the handlers call, so the same
 * SDK v3 code runs unchanged against it (set AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_EVENTBRIDGE):
 *   X-Amz-Target AWSStepFunctions.StartExecution | DescribeExecution | ListExecutions | GetExecutionHistory
 *   X-Amz-Target AWSEvents.PutEvents
 * Errors come back as AWS does: status 400, `x-amzn-errortype` and `{ "__type", "message" }`.
 * No request signing is checked.
 */
export interface AwsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

const epoch = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

function describeJson(d: ExecutionDescription) {
  return {
    executionArn: d.executionArn,
    stateMachineArn: d.stateMachineArn,
    name: d.name,
    status: d.status,
    startDate: epoch(d.startDate),
    stopDate: epoch(d.stopDate),
    input: d.input,
    inputDetails: { included: true },
    output: d.output,
    outputDetails: d.output === undefined ? undefined : { included: true },
    error: d.error,
    cause: d.cause,
  };
}

/** Our history events in the AWS GetExecutionHistory shape (types such as TaskStateEntered). */
function historyJson(events: HistoryEvent[]) {
  return events.map((e, i) => {
    const base = { id: e.id, previousEventId: i === 0 ? 0 : events[i - 1]!.id, timestamp: Date.parse(e.timestamp) / 1000 };
    switch (e.type) {
      case 'ExecutionStarted':
        return { ...base, type: 'ExecutionStarted', executionStartedEventDetails: { input: e.input } };
      case 'ExecutionSucceeded':
        return { ...base, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: e.output } };
      case 'ExecutionFailed':
        return { ...base, type: 'ExecutionFailed', executionFailedEventDetails: { error: e.error, cause: e.cause } };
      case 'StateEntered':
        return { ...base, type: `${e.stateType}StateEntered`, stateEnteredEventDetails: { name: e.stateName, input: e.input } };
      case 'StateExited':
        return { ...base, type: `${e.stateType}StateExited`, stateExitedEventDetails: { name: e.stateName, output: e.output } };
      case 'TaskFailed':
        return { ...base, type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: e.stateName, error: e.error, cause: e.cause } };
      default:
        return { ...base, type: e.type === 'ExecutionTimedOut' ? 'ExecutionTimedOut' : e.type, stateName: e.stateName, error: e.error, cause: e.cause };
    }
  });
}

class ClientError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const KNOWN_ERRORS = new Set([
  'ExecutionAlreadyExists',
  'ExecutionDoesNotExist',
  'StateMachineDoesNotExist',
  'InvalidName',
  'InvalidExecutionInput',
  'InvalidArn',
  'ValidationException',
  'UnknownOperationException',
  'SerializationException',
]);

export async function startAwsEndpoint(opts: { sfn?: LocalStepFunctions; bus?: LocalEventBus; host?: string; port?: number }): Promise<AwsEndpoint> {
  const dispatch = async (target: string, body: Record<string, unknown>): Promise<unknown> => {
    const sfn = opts.sfn;
    const req = (field: string) => {
      const v = body[field];
      if (typeof v !== 'string' || v === '') throw new ClientError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
      return v;
    };
    if (target.startsWith('AWSStepFunctions.')) {
      if (!sfn) throw new ClientError('UnknownOperationException', 'Step Functions is not running in this local runtime');
      switch (target.slice('AWSStepFunctions.'.length)) {
        case 'StartExecution': {
          const r = await sfn.startExecution({ stateMachineArn: req('stateMachineArn'), name: body.name as string | undefined, input: (body.input as string | undefined) ?? '{}' });
          return { executionArn: r.executionArn, startDate: epoch(r.startDate) };
        }
        case 'DescribeExecution':
          return describeJson(await sfn.describeExecution(req('executionArn')));
        case 'ListExecutions': {
          const r = await sfn.listExecutions({
            stateMachineArn: req('stateMachineArn'),
            statusFilter: body.statusFilter as ExecutionStatus | undefined,
            maxResults: body.maxResults as number | undefined,
            nextToken: body.nextToken as string | undefined,
          });
          return {
            executions: r.executions.map((d) => ({ executionArn: d.executionArn, stateMachineArn: d.stateMachineArn, name: d.name, status: d.status, startDate: epoch(d.startDate), stopDate: epoch(d.stopDate) })),
            nextToken: r.nextToken,
          };
        }
        case 'GetExecutionHistory': {
          const events = historyJson(await sfn.getExecutionHistory(req('executionArn')));
          return { events: body.reverseOrder ? events.reverse() : events };
        }
        case 'ListStateMachines':
          return { stateMachines: sfn.stateMachines.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: 0 })) };
      }
    }
    if (target === 'AWSEvents.PutEvents') {
      if (!opts.bus) throw new ClientError('UnknownOperationException', 'EventBridge is not running in this local runtime');
      const entries = body.Entries;
      if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10)
        throw new ClientError('ValidationException', "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10");
      return opts.bus.putEvents(entries as PutEventsEntry[]);
    }
    throw new ClientError('UnknownOperationException', `unknown operation ${target}`);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const contentType = target.startsWith('AWSEvents.') ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
      const reply = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
        const text = JSON.stringify(payload);
        res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': cryptoId(), ...extra });
        res.end(text);
      };
      let body: Record<string, unknown>;
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'request body is not JSON' }, { 'x-amzn-errortype': 'SerializationException' });
      }
      dispatch(target, body).then(
        (out) => reply(200, out ?? {}),
        (err: Error) => {
          if (KNOWN_ERRORS.has(err.name)) return reply(400, { __type: err.name, message: err.message }, { 'x-amzn-errortype': err.name });
          log.error('aws endpoint: internal error', { target, error: err.message });
          reply(500, { __type: 'InternalFailure', message: err.message }, { 'x-amzn-errortype': 'InternalFailure' });
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3001, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let counter = 0;
function cryptoId(): string {
  counter = (counter + 1) % 1e9;
  return `local-${Date.now().toString(36)}-${counter.toString(36)}`;
}
