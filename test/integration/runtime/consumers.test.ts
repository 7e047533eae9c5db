import { DEAD_LETTER_TOPIC, kafkaClient, startPlatform, type Platform } from '../../../local/runtime';
import { endpoints } from '../../../local/engines/endpoints';
import { testManifest } from '../../fixtures/runtime/manifest';
import { consumeAttempts, received } from '../../fixtures/runtime/handlers';

jest.setTimeout(120000);

const run = `${process.pid}-${Date.now()}`;
const topic = `runtime-test-${run}`;
const suffix = `-${run}`;
const brokers = endpoints().kafkaBrokers;
let p: Platform;

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  p = await startPlatform({
    manifest: testManifest({ topic, withRealServices: false }),
    components: ['consumers'],
    executionStore: 'memory',
    consumer: { attempts: 2, backoffMs: 10, groupIdSuffix: suffix },
  });
});
afterAll(async () => {
  await p?.stop();
});

const values = () => received.flatMap((e) => Object.values(e.records).flat().map((r) => Buffer.from(r.value, 'base64').toString('utf8')));

describe('Kafka consumers (MSK event source mapping, locally)', () => {
  it('delivers MSK-shaped events, dead-letters a poison message and goes on with the next one', async () => {
    expect(p.consumers?.groups).toEqual([{ handler: 'TestConsumer', groupId: `runtime-test${suffix}`, topics: [topic] }]);
    const producer = kafkaClient(brokers, 'runtime-test-producer').producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'k', value: 'first', headers: { 'content-type': 'text/plain' } },
        { key: 'k', value: 'poison pill' },
        { key: 'k', value: 'after the bad one' },
        { key: 'k', value: 'flaky once' },
        { key: 'k', value: 'transient outage' },
      ],
    });
    await producer.disconnect();

    await until('the good messages', () => (values().includes('transient outage') ? true : undefined));
    expect(values()).toEqual(expect.arrayContaining(['first', 'after the bad one', 'flaky once']));
    expect(values()).not.toContain('poison pill');
    // a transient failure is retried and then delivered once, not dead-lettered
    expect(values().filter((v) => v === 'flaky once')).toHaveLength(1);
    expect(consumeAttempts.filter((v) => v === 'flaky once')).toHaveLength(2);
    // a transient error is retried past `attempts` until it passes (the dependency came back): not dead-lettered
    expect(values().filter((v) => v === 'transient outage')).toHaveLength(1);
    expect(consumeAttempts.filter((v) => v === 'transient outage').length).toBeGreaterThanOrEqual(4);

    const event = received[0]!;
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.bootstrapServers).toBe(brokers.join(','));
    const [key, recs] = Object.entries(event.records)[0]!;
    expect(key).toMatch(new RegExp(`^${topic}-\\d$`));
    const first = recs.find((r) => Buffer.from(r.value, 'base64').toString() === 'first')!;
    expect(first).toMatchObject({ topic, timestampType: 'CREATE_TIME', key: Buffer.from('k').toString('base64') });
    expect(first.headers).toEqual([{ 'content-type': [...Buffer.from('text/plain')] }]);

    // the poison message is on the dead-letter topic with its error and origin
    const dl = kafkaClient(brokers, 'runtime-test-dlq').consumer({ groupId: `runtime-test-dlq${suffix}` });
    const dead: Array<{ value: string; headers: Record<string, string> }> = [];
    await dl.connect();
    await dl.subscribe({ topic: DEAD_LETTER_TOPIC, fromBeginning: true });
    await dl.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        if (headers['dlq-source-topic'] === topic) dead.push({ value: String(message.value), headers });
      },
    });
    await until('the dead letter', () => (dead.length > 0 ? true : undefined));
    await dl.disconnect();
    expect(dead).toHaveLength(1); // only the poison one
    expect(dead[0]!.value).toBe('poison pill');
    expect(dead[0]!.headers).toMatchObject({
      'dlq-error-type': 'Error',
      'dlq-source-topic': topic,
      'dlq-consumer-group': `runtime-test${suffix}`,
      'dlq-handler': 'TestConsumer',
    });
    expect(dead[0]!.headers['dlq-error-message']).toMatch(/cannot process offset 1/);
    expect(dead[0]!.headers['dlq-source-offset']).toBe('1');

    // offsets were committed past all five (the poison one included, after it was dead-lettered)
    const admin = kafkaClient(brokers, 'runtime-test-admin').admin();
    await admin.connect();
    const offsets = await until('committed offsets', async () => {
      const [t] = await admin.fetchOffsets({ groupId: `runtime-test${suffix}`, topics: [topic] });
      const committed = t!.partitions.map((x) => Number(x.offset)).reduce((a, b) => a + Math.max(b, 0), 0);
      return committed === 5 ? committed : undefined;
    });
    await admin.disconnect();
    expect(offsets).toBe(5);
  });
});
