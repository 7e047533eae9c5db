import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PlatformManifest } from '../../../lib/manifest';
import { startAwsEndpoint, type AwsEndpoint } from '../../../local/runtime/aws-endpoint';
import { LocalEventBus } from '../../../local/runtime/eventbus';
import { HandlerRegistry } from '../../../local/runtime/handlers';
import { LocalStepFunctions } from '../../../local/runtime/sfn/runner';

const manifest: PlatformManifest = { eventSourcePrefix: 'shop', topics: [], stateMachines: [], services: [] };
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The same SDK calls through the in-process transport and over HTTP give the same answers; only HTTP opens sockets. */
describe.each([
  ['in process', true],
  ['over HTTP', false],
])('AWS endpoint, SDK v3 clients %s', (_label, inProcess) => {
  let ep: AwsEndpoint;
  let sfn: LocalStepFunctions;
  let bus: LocalEventBus;
  let arn: string;
  let connections = 0;
  const onConnection = () => void connections++;

  beforeAll(async () => {
    const handlers = new HandlerRegistry(manifest);
    bus = new LocalEventBus(manifest, handlers);
    sfn = new LocalStepFunctions({ manifest, handlers, bus });
    arn = sfn.register({ name: 'PassOnly', definition: { StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: true }, ResultPath: '$.pass', End: true } } }, taskFunctions: {} });
    ep = await startAwsEndpoint({ sfn, bus, port: 0, inProcess });
  });
  afterAll(async () => {
    await ep.close();
    await sfn.stop();
  });

  it('StartExecution, DescribeExecution, ExecutionAlreadyExists, StateMachineDoesNotExist, PutEvents', async () => {
    // Counts the connections every net server of this process accepts (the endpoint's server is internal).
    const net = await import('node:net');
    const proto = net.Server.prototype as unknown as { emit: (ev: string | symbol, ...args: unknown[]) => boolean };
    const origEmit = proto.emit;
    proto.emit = function (this: unknown, ev: string | symbol, ...args: unknown[]) {
      if (ev === 'connection') onConnection();
      return origEmit.call(this, ev, ...args);
    };
    try {
      const client = new SFNClient({ endpoint: ep.url, region: 'us-east-1', credentials });
      const name = `x-${inProcess}-${Date.now()}`;
      const started = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{"a":1}' }));
      expect(started.executionArn).toContain(`:execution:PassOnly:${name}`);
      expect(started.startDate).toBeInstanceOf(Date);
      expect(started.$metadata.httpStatusCode).toBe(200);
      expect(started.$metadata.requestId).toMatch(/^local-/);
      await sfn.waitForExecution(started.executionArn!);
      const d = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect({ status: d.status, output: JSON.parse(d.output!) }).toEqual({ status: 'SUCCEEDED', output: { a: 1, pass: { ok: true } } });
      const again = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{"a":1}' })).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(ExecutionAlreadyExists);
      expect((again as ExecutionAlreadyExists).$metadata.httpStatusCode).toBe(400);
      const missing = await client.send(new StartExecutionCommand({ stateMachineArn: `${arn}-nope`, input: '{}' })).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(StateMachineDoesNotExist);

      const eb = new EventBridgeClient({ endpoint: ep.url, region: 'us-east-1', credentials });
      const put = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'shop.test', DetailType: 'T', Detail: JSON.stringify({ k: name }), EventBusName: 'shop-local' }] }));
      expect(put.FailedEntryCount).toBe(0);
      expect(bus.events.at(-1)).toMatchObject({ source: 'shop.test', 'detail-type': 'T', detail: { k: name } });
      const tooMany = await eb.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 't', Detail: '{}' })) })).catch((e: unknown) => e);
      expect(tooMany).toMatchObject({ name: 'ValidationException' });
      client.destroy();
      eb.destroy();
    } finally {
      proto.emit = origEmit;
    }
    if (inProcess) expect(connections).toBe(0);
    else expect(connections).toBeGreaterThan(0);
  });
});
