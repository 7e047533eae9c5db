import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage, type Producer } from 'kafkajs';
import { allHandlers, type PlatformManifest } from '../../lib/manifest';
import type { HandlerRegistry } from './handlers';
import { log } from './log';
import { buildMskEvent } from './msk-event';

/**
 * MSK event source mappings, locally: one kafkajs consumer group per (handler, groupId) of the manifest.
 * Each partition's messages are cut into batches of `batchSize`, turned into an MSK event and handed
 * to the handler. Offsets are committed only after the handler succeeded. A failing batch is retried
 * with backoff; if it still fails, each record is tried on its own (bisecting the batch, so good
 * records are not lost with a bad one) and a record that still fails is published to the
 * `dead-letter` topic with headers naming the error and its origin, then committed: a poison message
 * does not block its partition. If the dead-letter publish itself fails, nothing is committed and the
 * batch is delivered again.
 */
export const DEAD_LETTER_TOPIC = 'dead-letter';

export interface ConsumerOptions {
  readonly manifest: PlatformManifest;
  readonly handlers: HandlerRegistry;
  readonly brokers: readonly string[];
  /** Attempts per batch (and per bisected record) before giving up. @default 3 */
  readonly attempts?: number;
  /** First backoff between attempts, doubled each time. @default 200 */
  readonly backoffMs?: number;
  /** Appended to every manifest groupId (test isolation). @default '' */
  readonly groupIdSuffix?: string;
  /** Only these handler names (default: every handler with `consumes`). */
  readonly only?: readonly string[];
  /** @default true: a new group starts at the earliest offset (TRIM_HORIZON), so nothing published before start is missed. */
  readonly fromBeginning?: boolean;
}

export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly errorType: string;
  readonly errorMessage: string;
}

export interface ConsumerGroups {
  /** One entry per running consumer group. */
  readonly groups: ReadonlyArray<{ handler: string; groupId: string; topics: string[] }>;
  stop(): Promise<void>;
}

export function kafkaClient(brokers: readonly string[], clientId = 'local-runtime'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.ERROR, retry: { retries: 8, initialRetryTime: 100 } });
}

/** Creates every manifest topic (idempotent: existing topics are left alone). */
export async function createTopics(manifest: PlatformManifest, brokers: readonly string[], extra: readonly string[] = []): Promise<string[]> {
  const admin = kafkaClient(brokers, 'local-runtime-admin').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      ...manifest.topics.map((t) => ({ name: t.name, partitions: t.partitions, retentionHours: t.retentionHours ?? 168 })),
      ...extra.map((name) => ({ name, partitions: 1, retentionHours: 168 })),
    ].filter((t) => !existing.has(t.name));
    if (wanted.length === 0) return [];
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: String(t.retentionHours * 3600 * 1000) }],
        })),
      });
    } catch (err) {
      // Another process may have created them in between: only TOPIC_ALREADY_EXISTS is harmless.
      const errors = (err as { errors?: Array<{ type?: string }> }).errors;
      if (!errors || errors.some((e) => e.type !== 'TOPIC_ALREADY_EXISTS')) throw err;
    }
    return wanted.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

export async function startConsumers(opts: ConsumerOptions): Promise<ConsumerGroups> {
  const attempts = opts.attempts ?? 3;
  const backoffMs = opts.backoffMs ?? 200;
  const kafka = kafkaClient(opts.brokers);
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumers: Consumer[] = [];
  const groups: Array<{ handler: string; groupId: string; topics: string[] }> = [];

  const setupGroup = async (hName: string, baseGroupId: string, g: { topics: string[]; batchSize: number }) => {
    const h = { name: hName };
    const groupId = `${baseGroupId}${opts.groupIdSuffix ?? ''}`;
    // maxWaitTimeInMs: an idle fetch returns after 500 ms (default 5 s), so stop() does not wait 5 s for it.
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000, maxWaitTimeInMs: 500 });
    consumers.push(consumer);
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: g.topics, fromBeginning: opts.fromBeginning ?? true });

    const invokeWithRetry = async (messages: KafkaMessage[], topic: string, partition: number, heartbeat: () => Promise<void>) => {
      let lastErr: Error | undefined;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          await opts.handlers.invoke(h.name, buildMskEvent([{ topic, partition, messages }], opts.brokers));
          return undefined;
        } catch (err) {
          lastErr = err as Error;
          log.warn('consumer: handler failed', { handler: h.name, groupId, topic, partition, records: messages.length, attempt, errorType: lastErr.name, error: lastErr.message });
          if (attempt < attempts) {
            await sleep(backoffMs * 2 ** (attempt - 1));
            await heartbeat().catch(() => undefined);
          }
        }
      }
      return lastErr;
    };

    const deadLetter = async (m: KafkaMessage, topic: string, partition: number, err: Error) => {
      const headers: IHeaders = {
        ...(m.headers ?? {}),
        'dlq-error-type': err.name,
        'dlq-error-message': err.message.slice(0, 2000),
        'dlq-source-topic': topic,
        'dlq-source-partition': String(partition),
        'dlq-source-offset': m.offset,
        'dlq-consumer-group': groupId,
        'dlq-handler': h.name,
        'dlq-failed-at': new Date().toISOString(),
      };
      await producer.send({ topic: DEAD_LETTER_TOPIC, acks: -1, messages: [{ key: m.key, value: m.value, headers }] });
      log.error('consumer: record sent to dead-letter', { handler: h.name, groupId, topic, partition, offset: m.offset, errorType: err.name, error: err.message });
    };

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (const part of chunk(batch.messages, g.batchSize)) {
          if (!isRunning() || isStale()) return;
          const err = await invokeWithRetry(part, batch.topic, batch.partition, heartbeat);
          if (err) {
            if (part.length === 1) await deadLetter(part[0] as KafkaMessage, batch.topic, batch.partition, err);
            else {
              for (const m of part) {
                const single = await invokeWithRetry([m], batch.topic, batch.partition, heartbeat);
                if (single) await deadLetter(m, batch.topic, batch.partition, single);
              }
            }
          }
          const last = part[part.length - 1] as KafkaMessage;
          resolveOffset(last.offset);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) }]);
          await heartbeat();
        }
      },
    });
    let joinTimer: NodeJS.Timeout | undefined;
    await Promise.race([joined, new Promise<void>((r) => (joinTimer = setTimeout(() => r(log.warn('consumer: group not joined after 30 s', { groupId })), 30000)))]);
    clearTimeout(joinTimer);
    groups.push({ handler: h.name, groupId, topics: g.topics });
  };

  const setups: Array<Promise<void>> = [];
  const handlersWithConsumes = allHandlers(opts.manifest).filter((h) => (h.consumes ?? []).length > 0 && (!opts.only || opts.only.includes(h.name)));
  for (const h of handlersWithConsumes) {
    const byGroup = new Map<string, { topics: string[]; batchSize: number }>();
    for (const c of h.consumes ?? []) {
      const g = byGroup.get(c.groupId) ?? { topics: [], batchSize: c.batchSize ?? 100 };
      g.topics.push(c.topic);
      g.batchSize = Math.min(g.batchSize, c.batchSize ?? 100);
      byGroup.set(c.groupId, g);
    }
    for (const [baseGroupId, g] of byGroup) setups.push(setupGroup(h.name, baseGroupId, g));
  }
  try {
    await Promise.all(setups);
  } catch (err) {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    await producer.disconnect().catch(() => undefined);
    throw err;
  }

  return {
    groups,
    async stop() {
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
      await producer.disconnect().catch(() => undefined);
    },
  };
}
