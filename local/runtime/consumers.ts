import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage, type Producer } from '../../functions/shared/adapters/kafkajs';
import { allHandlers, type PlatformManifest } from '../../lib/manifest';
import { ensureTopics } from '../../functions/platform/kafka-topics';
import type { HandlerRegistry } from './handlers';
import { log } from './log';
import { buildMskEvent } from './msk-event';

/**
 * MSK event source mappings, locally: one kafkajs consumer group per event source of the manifest,
 * named as CDK names it (lib/stacks/app-stack.ts): the manifest groupId, or `${groupId}.${topic}` when
 * that groupId is declared for more than one topic. A new group starts at the earliest offset
 * (TRIM_HORIZON, as deployed).
 * Each partition's messages are cut into batches of `batchSize`, turned into an MSK event and handed
 * to the handler. Offsets are committed only after the handler succeeded. A failing batch:
 *  - transient error (TransientError, DependencyUnavailableError, a Lambda timeout, AWS throttling or
 *    5xx, a refused/reset connection, KafkaJS errors; see isTransient): retried with capped backoff
 *    until it succeeds, blocking its partition, as the deployed event source does: a store or broker
 *    outage loses nothing;
 *  - any other error: retried `attempts` times; then each record is tried on its own (bisecting the
 *    batch, so good records are not lost with a bad one) and a record that still fails is published to
 *    the `dead-letter` topic with headers naming the error and its origin, then committed: a poison
 *    message does not block its partition. If the dead-letter publish itself fails, nothing is committed
 *    and the batch is delivered again.
 */
export const DEAD_LETTER_TOPIC = 'dead-letter';

export interface ConsumerOptions {
  readonly manifest: PlatformManifest;
  readonly handlers: HandlerRegistry;
  readonly brokers: readonly string[];
  /** Attempts per batch (and per bisected record) before a non-transient failure is dead-lettered. @default 3 */
  readonly attempts?: number;
  /** First backoff between attempts, doubled each time. @default 200 */
  readonly backoffMs?: number;
  /** Longest backoff while retrying a transient failure. @default 5000 */
  readonly maxBackoffMs?: number;
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

/**
 * Creates every manifest topic (idempotent; safe when several processes do it at once) with the
 * same code the KafkaTopics custom resource runs on deploy, at replication factor 1.
 */
export async function createTopics(manifest: PlatformManifest, brokers: readonly string[], extra: readonly string[] = []): Promise<string[]> {
  const admin = kafkaClient(brokers, 'local-runtime-admin').admin();
  await admin.connect();
  try {
    const specs = [
      ...manifest.topics.map((t) => ({ name: t.name, partitions: t.partitions, retentionHours: t.retentionHours ?? 168 })),
      ...extra.map((name) => ({ name, partitions: 1, retentionHours: 168 })),
    ].map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: 1, retentionMs: t.retentionHours * 3_600_000 }));
    const plan = await ensureTopics(admin, specs);
    return plan.create.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const TRANSIENT_NAMES = new Set([
  'TransientError',
  'DependencyUnavailableError',
  'Sandbox.Timedout',
  'TimeoutError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
]);
// Node network errors and PostgreSQL connection / shutdown / too-many-connections SQLSTATEs.
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);
const TRANSIENT_MESSAGE = /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|socket hang up/i;

/** True when a handler failure is worth retrying until it passes (the dependency will come back). */
export function isTransient(err: Error & { original?: unknown }): boolean {
  const inner = (err.original ?? err) as Error & { code?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: number } };
  if (TRANSIENT_NAMES.has(err.name) || TRANSIENT_NAMES.has(inner.name)) return true;
  if (err.name.startsWith('KafkaJS') || inner.name?.startsWith('KafkaJS')) return true;
  if (typeof inner.code === 'string' && TRANSIENT_CODES.has(inner.code)) return true;
  if (inner.$fault === 'server' || (inner.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return TRANSIENT_MESSAGE.test(err.message);
}

/** The consumer group id CDK gives each (handler, topic) event source. */
export function eventSourceGroups(manifest: PlatformManifest): Array<{ handler: string; topic: string; groupId: string; batchSize: number }> {
  const all = allHandlers(manifest).flatMap((h) => (h.consumes ?? []).map((c) => ({ handler: h.name, ...c })));
  const uses = new Map<string, number>();
  for (const c of all) uses.set(c.groupId, (uses.get(c.groupId) ?? 0) + 1);
  return all.map((c) => ({ handler: c.handler, topic: c.topic, groupId: (uses.get(c.groupId) ?? 0) > 1 ? `${c.groupId}.${c.topic}` : c.groupId, batchSize: c.batchSize ?? 100 }));
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * How often a consumer group commits its handled offsets (LOCAL_CONSUMER_COMMIT_INTERVAL_MS, 200 ms).
 * Committing after every batch cost the broker an OffsetCommit (a write to __consumer_offsets) per
 * order at load and held the partition's next fetch behind it. A crash or a rebalance redelivers at
 * most this window, which the handlers absorb (the saga starter names the execution after the order,
 * the projector skips versions it has).
 */
const COMMIT_INTERVAL_MS = Number(process.env.LOCAL_CONSUMER_COMMIT_INTERVAL_MS ?? 200);

/** Coalesces offset commits per topic-partition (the latest wins) and sends them at most every `intervalMs`. */
export class OffsetCommitter {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
    private readonly intervalMs: number,
    private readonly groupId: string,
  ) {}
  /** `offset` is the next offset to read (last handled + 1). */
  commitSoon(topic: string, partition: number, offset: string): void {
    if (this.closed) return;
    this.pending.set(`${topic}\u0000${partition}`, { topic, partition, offset });
    if (this.intervalMs <= 0) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }
  /** Commits what is pending now (also on stop and when the group rebalances); never throws. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || this.pending.size === 0) return this.inflight;
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.inflight = this.inflight.then(() =>
      this.consumer.commitOffsets(offsets).catch((err: Error) => {
        if (!this.closed) log.warn('consumer: offset commit failed (those records may be delivered again)', { groupId: this.groupId, error: err.message });
      }),
    );
    return this.inflight;
  }

  /**
   * After the consumer disconnected: nothing more is committed (a batch that finished during the
   * disconnect is delivered again to the group's next member) and nothing more is logged. A commit
   * timer left running used to fire after stop() and log into a finished process (jest counts a log
   * after a test file's end as a failure).
   */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
  private closed = false;
}

export async function startConsumers(opts: ConsumerOptions): Promise<ConsumerGroups> {
  const attempts = opts.attempts ?? 3;
  const backoffMs = opts.backoffMs ?? 200;
  const kafka = kafkaClient(opts.brokers);
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumers: Consumer[] = [];
  const committers: OffsetCommitter[] = [];
  const groups: Array<{ handler: string; groupId: string; topics: string[] }> = [];

  const maxBackoffMs = opts.maxBackoffMs ?? 5000;
  const setupGroup = async (h: { name: string }, baseGroupId: string, g: { topics: string[]; batchSize: number }) => {
    const groupId = `${baseGroupId}${opts.groupIdSuffix ?? ''}`;
    // maxWaitTimeInMs: an idle fetch returns after 500 ms (default 5 s), so stop() does not wait 5 s for it.
    // sessionTimeout 10 s (default 30 s): when a cluster worker dies, its partitions move to the others
    // after 10 s instead of 30 (heartbeats every 2 s, well inside it).
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10000, heartbeatInterval: 2000, maxWaitTimeInMs: 500 });
    consumers.push(consumer);
    const committer = new OffsetCommitter(consumer, COMMIT_INTERVAL_MS, groupId);
    committers.push(committer);
    consumer.on(consumer.events.REBALANCING, () => void committer.flush());
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topics: g.topics, fromBeginning: opts.fromBeginning ?? true });

    /** undefined = delivered; an Error = a non-transient failure after `attempts`; 'stopped' = gave up because the consumer stops or lost the partition. */
    const invokeWithRetry = async (messages: KafkaMessage[], topic: string, partition: number, ctl: { heartbeat: () => Promise<void>; live: () => boolean }) => {
      let lastErr: Error | undefined;
      for (let attempt = 1, failures = 0; ; attempt++) {
        try {
          await opts.handlers.invoke(h.name, buildMskEvent([{ topic, partition, messages }], opts.brokers));
          return undefined;
        } catch (err) {
          lastErr = err as Error;
          const transient = isTransient(lastErr);
          if (!transient) failures++;
          log.warn('consumer: handler failed', { handler: h.name, groupId, topic, partition, records: messages.length, attempt, transient, errorType: lastErr.name, error: lastErr.message });
          if (!transient && failures >= attempts) return lastErr;
          await sleep(Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(attempt - 1, 16)));
          await ctl.heartbeat().catch(() => undefined);
          if (!ctl.live()) return 'stopped' as const;
        }
      }
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
        const ctl = { heartbeat, live: () => isRunning() && !isStale() };
        for (const part of chunk(batch.messages, g.batchSize)) {
          if (!ctl.live()) return;
          const err = await invokeWithRetry(part, batch.topic, batch.partition, ctl);
          if (err === 'stopped') return; // not committed: delivered again
          if (err) {
            if (part.length === 1) await deadLetter(part[0] as KafkaMessage, batch.topic, batch.partition, err);
            else {
              for (const m of part) {
                const single = await invokeWithRetry([m], batch.topic, batch.partition, ctl);
                if (single === 'stopped') return;
                if (single) await deadLetter(m, batch.topic, batch.partition, single);
                // commit record by record from here on, so a stop in the middle does not redeliver the dead-lettered ones
                resolveOffset(m.offset);
                committer.commitSoon(batch.topic, batch.partition, String(BigInt(m.offset) + 1n));
                await committer.flush();
              }
            }
          }
          const last = part[part.length - 1] as KafkaMessage;
          resolveOffset(last.offset);
          committer.commitSoon(batch.topic, batch.partition, String(BigInt(last.offset) + 1n));
          await heartbeat();
        }
      },
    });
    let joinTimer: NodeJS.Timeout | undefined;
    await Promise.race([joined, new Promise<void>((r) => (joinTimer = setTimeout(() => r(log.warn('consumer: group not joined after 30 s', { groupId })), 30000)))]);
    clearTimeout(joinTimer);
    groups.push({ handler: h.name, groupId, topics: g.topics });
  };

  // One consumer group per distinct group id (several topics of one handler may share it when CDK does).
  const setups: Array<Promise<void>> = [];
  const byGroup = new Map<string, { handler: string; topics: string[]; batchSize: number }>();
  for (const es of eventSourceGroups(opts.manifest)) {
    if (opts.only && !opts.only.includes(es.handler)) continue;
    const g = byGroup.get(es.groupId) ?? { handler: es.handler, topics: [], batchSize: es.batchSize };
    if (g.handler !== es.handler) throw new Error(`consumer group '${es.groupId}' is used by two handlers (${g.handler}, ${es.handler})`);
    g.topics.push(es.topic);
    g.batchSize = Math.min(g.batchSize, es.batchSize);
    byGroup.set(es.groupId, g);
  }
  for (const [groupId, g] of byGroup) setups.push(setupGroup({ name: g.handler }, groupId, g));
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
      await Promise.all(committers.map((c) => c.flush()));
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
      for (const c of committers) c.close();
      await producer.disconnect().catch(() => undefined);
    },
  };
}
