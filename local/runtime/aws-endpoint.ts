import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEventBus, PutEventsEntry } from './eventbus';
import { log } from './log';
import type { LocalMailbox } from './mailbox';
import type { LocalStepFunctions } from './sfn/runner';
import type { ExecutionDescription, ExecutionStatus, HistoryEvent } from './sfn/types';

/**
 * A minimal AWS endpoint for the AWS APIs the handlers call, so the same SDK v3 code runs unchanged
 * against it (set AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL_SESV2):
 *   X-Amz-Target AWSStepFunctions.StartExecution | DescribeExecution | ListExecutions | GetExecutionHistory
 *   X-Amz-Target AWSEvents.PutEvents
 *   POST /v2/email/outbound-emails (SES v2 SendEmail, REST-JSON; a Simple text message): kept in the
 *   mailbox (`mail`), answered with a MessageId; other SES content is a BadRequestException
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
  'BadRequestException',
]);

/** The pseudo target of a REST request this endpoint answers (SES v2 has no X-Amz-Target). */
const SES_SEND_EMAIL = 'SESv2.SendEmail';
function restTarget(method: string | undefined, path: string | undefined): string {
  return method === 'POST' && (path ?? '').split('?')[0] === '/v2/email/outbound-emails' ? SES_SEND_EMAIL : '';
}

export interface AwsEndpointOptions {
  readonly sfn?: LocalStepFunctions;
  readonly bus?: LocalEventBus;
  /** Where SES SendEmail puts what it is sent; without one, SendEmail is an unknown operation. */
  readonly mail?: LocalMailbox;
  readonly host?: string;
  readonly port?: number;
  /**
   * SDK v3 clients of this process reach the endpoint without a socket (see registerInProcess);
   * false (or LOCAL_AWS_IN_PROCESS=false) sends them over HTTP like other processes. @default true
   */
  readonly inProcess?: boolean;
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export async function startAwsEndpoint(opts: AwsEndpointOptions): Promise<AwsEndpoint> {
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
    if (target === SES_SEND_EMAIL) {
      if (!opts.mail) throw new ClientError('UnknownOperationException', 'SES is not running in this local runtime');
      const bad = (what: string) => new ClientError('BadRequestException', what);
      const from = body.FromEmailAddress;
      const to = (body.Destination as { ToAddresses?: unknown } | undefined)?.ToAddresses;
      const simple = (body.Content as { Simple?: { Subject?: { Data?: unknown }; Body?: { Text?: { Data?: unknown } } } } | undefined)?.Simple;
      if (typeof from !== 'string' || from === '') throw bad('FromEmailAddress is required');
      if (!Array.isArray(to) || to.length === 0 || to.length > 50 || !to.every((a) => typeof a === 'string' && /^[^@\s]+@[^@\s]+$/.test(a))) throw bad('Destination.ToAddresses must hold 1-50 email addresses');
      if (!simple || typeof simple.Subject?.Data !== 'string' || typeof simple.Body?.Text?.Data !== 'string') throw bad('this local SES takes Content.Simple with a Subject and a Text body');
      const messageId = opts.mail.nextId();
      opts.mail.add({ messageId, from, to: to as string[], subject: simple.Subject.Data, text: simple.Body.Text.Data, receivedAt: new Date() });
      log.info('ses: message sent (kept locally)', { to, subject: simple.Subject.Data, messageId });
      return { MessageId: messageId };
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

  /** One AWS JSON request (target + body text) to its response; shared by the HTTP server and the in-process transport. */
  const respond = async (target: string, text: string | undefined): Promise<Reply> => {
    const contentType = target === SES_SEND_EMAIL ? 'application/json' : target.startsWith('AWSEvents.') ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
    const reply = (status: number, payload: unknown, extra?: Record<string, string>): Reply => {
      const body = Buffer.from(JSON.stringify(payload), 'utf8');
      return { status, body, headers: { 'content-type': contentType, 'content-length': String(body.length), 'x-amzn-requestid': cryptoId(), ...extra } };
    };
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return reply(400, { __type: 'SerializationException', message: 'request body is not JSON' }, { 'x-amzn-errortype': 'SerializationException' });
    }
    try {
      return reply(200, (await dispatch(target, body)) ?? {});
    } catch (e) {
      const err = e as Error;
      if (KNOWN_ERRORS.has(err.name)) return reply(400, { __type: err.name, message: err.message }, { 'x-amzn-errortype': err.name });
      log.error('aws endpoint: internal error', { target, error: err.message });
      return reply(500, { __type: 'InternalFailure', message: err.message }, { 'x-amzn-errortype': 'InternalFailure' });
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '') || restTarget(req.method, req.url);
      respond(target, chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined).then(
        (r) => {
          res.writeHead(r.status, r.headers);
          res.end(r.body);
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3001, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const unregister = opts.inProcess === false || process.env.LOCAL_AWS_IN_PROCESS === 'false' ? () => undefined : registerInProcess(addr.address, addr.port, respond);
  return {
    url: `http://${addr.address}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        unregister();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The in-process transport. Handlers running in this process call the endpoint with the unchanged
 * SDK v3 clients (AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_EVENTBRIDGE): serialization, middleware,
 * retries, signing and error parsing all run as usual; only the last step, the SDK's
 * NodeHttpHandler.handle, hands a request addressed to this endpoint's host:port to `respond`
 * directly instead of writing it to a loopback socket (on this machine each HTTP round trip cost
 * four socket writes/reads and the HTTP parsing on both sides, ~1 ms CPU per call). Requests to any
 * other address, and clients in other processes, use HTTP as before.
 */
type Respond = (target: string, text: string | undefined) => Promise<Reply>;
const inProcessEndpoints = new Map<string, Respond>();
let handlerPatched = false;

interface SdkHttpRequest {
  readonly method?: string;
  readonly path?: string;
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

function requestText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return undefined;
}

function registerInProcess(address: string, port: number, respond: Respond): () => void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeHttpHandler } = require('@smithy/node-http-handler') as typeof import('@smithy/node-http-handler');
  const { HttpResponse } = require('@smithy/core/protocols') as { HttpResponse: new (o: { statusCode: number; reason?: string; headers: Record<string, string>; body: unknown }) => unknown };
  /* eslint-enable @typescript-eslint/no-require-imports */
  if (!handlerPatched) {
    handlerPatched = true;
    const original = NodeHttpHandler.prototype.handle;
    NodeHttpHandler.prototype.handle = function handle(this: InstanceType<typeof NodeHttpHandler>, request, options) {
      const r = request as unknown as SdkHttpRequest;
      const local = r.protocol === 'http:' && inProcessEndpoints.size > 0 ? inProcessEndpoints.get(`${r.hostname}:${r.port}`) : undefined;
      const text = local ? requestText(r.body) : undefined;
      if (!local || (text === undefined && r.body !== undefined && r.body !== null)) return original.call(this, request, options);
      if (options?.abortSignal?.aborted) return Promise.reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
      let target = '';
      for (const k in r.headers) if (k.toLowerCase() === 'x-amz-target') target = String(r.headers[k]);
      target ||= restTarget(r.method, r.path);
      return respond(target, text).then((res) => ({
        response: new HttpResponse({ statusCode: res.status, reason: http.STATUS_CODES[res.status], headers: res.headers, body: res.body }),
      })) as ReturnType<typeof original>;
    };
  }
  const keys = address === '127.0.0.1' || address === '::1' || address === '::' || address === '0.0.0.0' ? [address, 'localhost', '127.0.0.1'] : [address];
  for (const k of keys) inProcessEndpoints.set(`${k}:${port}`, respond);
  return () => {
    for (const k of keys) if (inProcessEndpoints.get(`${k}:${port}`) === respond) inProcessEndpoints.delete(`${k}:${port}`);
  };
}

let counter = 0;
function cryptoId(): string {
  counter = (counter + 1) % 1e9;
  return `local-${Date.now().toString(36)}-${counter.toString(36)}`;
}
