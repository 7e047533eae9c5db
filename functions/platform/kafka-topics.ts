import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Kafka, type Admin, type ITopicMetadata } from '../shared/adapters/kafkajs';
import { z } from 'zod';
import { kafkaConfig } from '../shared/adapters/kafka';
import { logger } from '../shared/powertools';

/**
 * Custom resource (CDK Provider framework onEvent): creates the manifest's Kafka topics on deploy
 * with kafkajs admin — partitions, replication factor, retention.ms (7 days by default),
 * min.insync.replicas. MSK IAM auth + TLS through functions/shared/adapters/kafka.ts
 * (KAFKA_BROKERS, KAFKA_IAM_AUTH=true set by the CDK binding).
 *
 * Create/Update: creates missing topics, adds partitions when the manifest asks for more (Kafka
 * cannot remove partitions: fewer is reported, not applied), and sets retention/min ISR on
 * existing topics. Idempotent. Delete: keeps the topics (they hold data; the cluster's own
 * removal policy decides).
 */
export const TopicSpec = z.object({
  name: z.string().min(1).max(249).regex(/^[a-zA-Z0-9._-]+$/, 'topic names use letters, digits, ".", "_" and "-"'),
  partitions: z.coerce.number().int().min(1),
  replicationFactor: z.coerce.number().int().min(1),
  retentionMs: z.coerce.number().int().min(60_000).default(7 * 24 * 3_600_000),
  minInsyncReplicas: z.coerce.number().int().min(1).optional(),
});
export type TopicSpec = z.infer<typeof TopicSpec>;

const Properties = z.object({ Topics: z.array(TopicSpec).min(1) });

export interface TopicPlan {
  readonly create: TopicSpec[];
  readonly addPartitions: Array<{ topic: string; count: number }>;
  readonly configure: TopicSpec[];
  /** Differences Kafka cannot apply (fewer partitions, another replication factor). */
  readonly notes: string[];
}

/** What to do, given the desired topics and the cluster's current metadata. Pure. */
export function planTopics(desired: readonly TopicSpec[], existing: readonly ITopicMetadata[]): TopicPlan {
  const byName = new Map(existing.map((t) => [t.name, t]));
  const plan: TopicPlan = { create: [], addPartitions: [], configure: [], notes: [] };
  for (const t of desired) {
    const cur = byName.get(t.name);
    if (!cur) {
      plan.create.push(t);
      continue;
    }
    plan.configure.push(t);
    const partitions = cur.partitions.length;
    if (partitions < t.partitions) plan.addPartitions.push({ topic: t.name, count: t.partitions });
    else if (partitions > t.partitions) plan.notes.push(`${t.name}: has ${partitions} partitions, manifest asks ${t.partitions}; Kafka cannot remove partitions`);
    const rf = cur.partitions[0]?.replicas.length ?? 0;
    if (rf !== t.replicationFactor) plan.notes.push(`${t.name}: replication factor is ${rf}, manifest asks ${t.replicationFactor}; reassign partitions to change it`);
  }
  return plan;
}

function topicConfig(t: TopicSpec): Array<{ name: string; value: string }> {
  return [
    { name: 'retention.ms', value: String(t.retentionMs) },
    ...(t.minInsyncReplicas ? [{ name: 'min.insync.replicas', value: String(Math.min(t.minInsyncReplicas, t.replicationFactor)) }] : []),
  ];
}

/** Applies the manifest topics with an admin client; returns the plan it applied. */
export async function ensureTopics(admin: Admin, desired: readonly TopicSpec[]): Promise<TopicPlan> {
  const names = desired.map((t) => t.name);
  const listed = new Set(await admin.listTopics());
  const existing = names.some((n) => listed.has(n)) ? (await admin.fetchTopicMetadata({ topics: names.filter((n) => listed.has(n)) })).topics : [];
  const plan = planTopics(desired, existing);
  if (plan.create.length > 0) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: plan.create.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor, configEntries: topicConfig(t) })),
      });
    } catch (err) {
      // Another process may have created them in between: only TOPIC_ALREADY_EXISTS is harmless.
      const errors = (err as { errors?: Array<{ type?: string }> }).errors;
      if (!errors || errors.some((e) => e.type !== 'TOPIC_ALREADY_EXISTS')) throw err;
    }
  }
  if (plan.addPartitions.length > 0) await admin.createPartitions({ topicPartitions: plan.addPartitions });
  if (plan.configure.length > 0) {
    // 2 = ConfigResourceTypes.TOPIC; incremental semantics are not in kafkajs 2: set the full list we own.
    await admin.alterConfigs({ validateOnly: false, resources: plan.configure.map((t) => ({ type: 2, name: t.name, configEntries: topicConfig(t) })) });
  }
  // A topic another process is still creating exists before its partitions have leaders, and
  // metadata can name a leader before that broker serves the partition: until every leader answers
  // a ListOffsets, producers and offset requests fail (UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_FOR_PARTITION).
  await waitForLeaders(admin, names);
  return plan;
}

async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [...topics] });
      if (md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) {
        for (const t of topics) await admin.fetchTopicOffsets(t);
        return;
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`kafka: topics ${topics.join(', ')} have no serving partition leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const PHYSICAL_ID = 'shop-kafka-topics';

export const handler = async (event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> => {
  if (event.RequestType === 'Delete') {
    logger.info('topics kept on delete', { physicalResourceId: event.PhysicalResourceId });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const parsed = Properties.safeParse(event.ResourceProperties);
  if (!parsed.success) {
    throw new Error(`invalid KafkaTopics properties: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const admin = new Kafka(kafkaConfig('kafka-topics-custom-resource')).admin();
  await admin.connect();
  try {
    const plan = await ensureTopics(admin, parsed.data.Topics);
    logger.info('kafka topics ensured', { created: plan.create.map((t) => t.name), partitionsAdded: plan.addPartitions, notes: plan.notes });
    return {
      PhysicalResourceId: PHYSICAL_ID,
      Data: { Created: plan.create.map((t) => t.name).join(','), Notes: plan.notes.join(' | ').slice(0, 1000) },
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};
