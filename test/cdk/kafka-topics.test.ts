import type { ITopicMetadata } from 'kafkajs';
import { handler, planTopics, TopicSpec } from '../../functions/platform/kafka-topics';

const spec = (name: string, partitions: number, replicationFactor = 3): TopicSpec => TopicSpec.parse({ name, partitions, replicationFactor });
const meta = (name: string, partitions: number, replicas: number): ITopicMetadata => ({
  name,
  partitions: Array.from({ length: partitions }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 1, replicas: Array.from({ length: replicas }, (_, r) => r + 1), isr: [], offlineReplicas: [] })),
});

describe('KafkaTopics custom resource', () => {
  test('retention defaults to 7 days', () => {
    expect(spec('a', 1).retentionMs).toBe(604_800_000);
  });

  test('plans creation of missing topics and configuration of existing ones', () => {
    const plan = planTopics([spec('new', 6), spec('old', 3)], [meta('old', 3, 3)]);
    expect(plan.create.map((t) => t.name)).toEqual(['new']);
    expect(plan.configure.map((t) => t.name)).toEqual(['old']);
    expect(plan.addPartitions).toEqual([]);
    expect(plan.notes).toEqual([]);
  });

  test('adds partitions when the manifest asks for more, and reports what Kafka cannot change', () => {
    const plan = planTopics([spec('grow', 6), spec('shrink', 1), spec('rf', 3, 3)], [meta('grow', 3, 3), meta('shrink', 3, 3), meta('rf', 3, 2)]);
    expect(plan.addPartitions).toEqual([{ topic: 'grow', count: 6 }]);
    expect(plan.notes.join('\n')).toMatch(/shrink: has 3 partitions, manifest asks 1/);
    expect(plan.notes.join('\n')).toMatch(/rf: replication factor is 2, manifest asks 3/);
  });

  test('rejects properties without topics, naming the field', async () => {
    const event = { RequestType: 'Create', ResourceProperties: { ServiceToken: 'x', Topics: [] } } as never;
    await expect(handler(event)).rejects.toThrow(/invalid KafkaTopics properties: Topics:/);
  });

  test('rejects a bad topic name', () => {
    expect(() => TopicSpec.parse({ name: 'bad name', partitions: 1, replicationFactor: 1 })).toThrow(/topic names use letters/);
  });

  test('keeps the topics on delete', async () => {
    const event = { RequestType: 'Delete', PhysicalResourceId: 'shop-kafka-topics', ResourceProperties: { ServiceToken: 'x', Topics: [] } } as never;
    await expect(handler(event)).resolves.toEqual({ PhysicalResourceId: 'shop-kafka-topics' });
  });
});
