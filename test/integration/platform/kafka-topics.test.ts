import { randomUUID } from 'node:crypto';
import { Kafka } from 'kafkajs';
import { handler, PHYSICAL_ID } from '../../../functions/platform/kafka-topics';

/** The KafkaTopics custom resource against the real local Kafka (KRaft) engine. */
describe('KafkaTopics custom resource on Kafka', () => {
  const suffix = randomUUID().slice(0, 8);
  const a = `cr-test-a-${suffix}`;
  const b = `cr-test-b-${suffix}`;
  const admin = new Kafka({ clientId: 'kafka-topics-test', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',') }).admin();
  const event = (type: 'Create' | 'Update', topics: unknown[]): never =>
    ({ RequestType: type, PhysicalResourceId: PHYSICAL_ID, ResourceProperties: { ServiceToken: 'x', Topics: topics } }) as never;

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.deleteTopics({ topics: [a, b] }).catch(() => undefined);
    await admin.disconnect();
  });

  test('creates topics with partitions and retention, then grows partitions idempotently', async () => {
    const created = await handler(event('Create', [{ name: a, partitions: 3, replicationFactor: 1, retentionMs: 604_800_000 }, { name: b, partitions: 1, replicationFactor: 1 }]));
    expect(created.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(created.Data?.Created?.split(',').sort()).toEqual([a, b].sort());
    const meta = await admin.fetchTopicMetadata({ topics: [a, b] });
    expect(meta.topics.find((t) => t.name === a)?.partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: a, configNames: ['retention.ms'] }] });
    expect(configs.resources[0]?.configEntries.find((c) => c.configName === 'retention.ms')?.configValue).toBe('604800000');

    const updated = await handler(event('Update', [{ name: a, partitions: 4, replicationFactor: 1, retentionMs: 86_400_000 }, { name: b, partitions: 1, replicationFactor: 1 }]));
    expect(updated.Data?.Created).toBe('');
    expect((await admin.fetchTopicMetadata({ topics: [a] })).topics[0]?.partitions).toHaveLength(4);
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: a, configNames: ['retention.ms'] }] });
    expect(after.resources[0]?.configEntries.find((c) => c.configName === 'retention.ms')?.configValue).toBe('86400000');
  }, 60_000);
});
