/**
 * Helpers for the saga integration tests: the real local runtime (gateway, MSK consumers, Step
 * Functions runner with the real ASL, schedules) on the real engines (PostgreSQL, Kafka).
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { endpoints } from '../../../local/engines/endpoints';
import { buildMskEvent, createTopics, kafkaClient, type HistoryEvent, type Platform, type PlatformOptions } from '../../../local/runtime';
import { signToken } from '../../../functions/shared/auth';
import { envelope } from '../../../functions/shared/events';
import { insertOrder } from '../../../functions/order/adapters/pg-orders';
import { ORDER_CREATED_VERSION, type OrderCreated } from '../../../functions/order/domain/schemas';
import { runMigrations } from '../../../functions/platform/migrations';
import { allHandlers, manifest } from '../../../lib/manifest';

export const CARDS = {
  approve: '4242424242424242',
  approveMastercard: '5555555555554444',
  decline: '4000000000000002',
  timeout: '4000000000000119',
  captureDecline: '4000000000000341',
} as const;

/** Each test file gets its own consumer group and SKU prefix so files can run in parallel. */
export const RUN = `${process.pid}-${Date.now().toString(36)}`;

let pool: Pool | undefined;
export function db(): Pool {
  pool ??= new Pool({ connectionString: endpoints().pgUrl, max: 4 });
  return pool;
}
export async function closeDb(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

export async function migrate(): Promise<void> {
  await runMigrations({ databaseUrl: endpoints().pgUrl });
}

export function sku(name: string): string {
  return `IT-${RUN}-${name}`.slice(0, 64);
}

export async function seedSku(name: string, stock: number, priceCents = 1000): Promise<string> {
  const s = sku(name);
  await db().query('INSERT INTO inventory (sku, price_cents, stock) VALUES ($1, $2, $3) ON CONFLICT (sku) DO UPDATE SET stock = EXCLUDED.stock, price_cents = EXCLUDED.price_cents', [s, priceCents, stock]);
  return s;
}

export async function stockOf(s: string): Promise<number> {
  const r = await db().query<{ stock: number }>('SELECT stock FROM inventory WHERE sku = $1', [s]);
  return r.rows[0]!.stock;
}

/** Puts the consumer group's committed offsets at the end of the topics: the test sees only what it produces. */
export async function positionGroupAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
  // On a fresh broker the topics may not exist yet (or be half-created by a parallel test file).
  await createTopics(manifest, endpoints().kafkaBrokers);
  const admin = kafkaClient(endpoints().kafkaBrokers, `saga-it-admin-${RUN}`).admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every store but the chain: the web3 payment watcher (a schedule) stays off in the saga tests' runtimes,
 * which share the engines with the web3 tests and would record their payments in the background.
 */
const STORES_BUT_CHAIN = [...new Set(allHandlers(manifest).flatMap((h) => h.stores))].filter((s) => s !== 'chain');

/** Platform options every saga test uses: own consumer group, no history, fast retries, in-memory executions. */
export function platformOptions(extra: Partial<PlatformOptions> = {}): PlatformOptions {
  return {
    stores: STORES_BUT_CHAIN,
    port: 0,
    awsPort: 0,
    executionStore: 'memory',
    retryIntervalOverrides: 0,
    scheduleIntervalMs: 500,
    consumer: { groupIdSuffix: `-it-${RUN}`, fromBeginning: false, attempts: 3, backoffMs: 50 },
    ...extra,
  };
}

export async function tokenFor(userId: string, roles: string[] = ['customer']): Promise<string> {
  return signToken({ userId, roles });
}

export interface Api {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  get(path: string): Promise<{ status: number; body: any }>;
}

export async function apiAs(p: Platform, userId: string, roles?: string[]): Promise<Api> {
  const auth = { authorization: `Bearer ${await tokenFor(userId, roles)}` };
  return {
    async post(path, body, headers = {}) {
      const res = await fetch(`${p.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async get(path) {
      const res = await fetch(`${p.url}${path}`, { headers: auth });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

export function newUser(): string {
  return `user-${randomUUID().slice(0, 8)}`;
}

export function executionArnOf(p: Platform, orderId: string): string {
  return `${p.stateMachineArns['OrderSaga']!.replace(':stateMachine:', ':execution:')}:${orderId}`;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until the saga execution of the order exists and has ended; returns its description and history. */
export async function sagaOf(p: Platform, orderId: string, timeoutMs = 60000): Promise<{ status: string; history: HistoryEvent[]; output?: string }> {
  const arn = executionArnOf(p, orderId);
  await until(`execution ${orderId}`, async () => (await p.sfn.describeExecution(arn).then(() => true).catch(() => undefined)), timeoutMs);
  const d = await p.sfn.waitForExecution(arn, timeoutMs);
  return { status: d.status, history: await p.sfn.getExecutionHistory(arn), ...(d.output ? { output: d.output } : {}) };
}

export function statesEntered(history: readonly HistoryEvent[]): string[] {
  return history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName!);
}
export function taskFailures(history: readonly HistoryEvent[]): Array<{ state: string; error: string; cause: string }> {
  return history.filter((e) => e.type === 'TaskFailed').map((e) => ({ state: e.stateName!, error: e.error ?? '', cause: e.cause ?? '' }));
}

export interface OrderRowT {
  status: string;
  cancel_error: string | null;
  cancel_cause: string | null;
}
export async function orderRow(orderId: string): Promise<OrderRowT> {
  const r = await db().query<OrderRowT>('SELECT status, cancel_error, cancel_cause FROM orders WHERE id = $1', [orderId]);
  return r.rows[0]!;
}
export async function reservationsOf(orderId: string): Promise<Array<{ sku: string; quantity: number; status: string }>> {
  return (await db().query('SELECT sku, quantity, status FROM reservations WHERE order_id = $1 ORDER BY sku', [orderId])).rows;
}
export async function paymentOf(orderId: string): Promise<{ status: string; capture_id: string | null } | undefined> {
  return (await db().query('SELECT status, capture_id FROM payments WHERE order_id = $1', [orderId])).rows[0];
}
export async function stepsOf(orderId: string): Promise<string[]> {
  return (await db().query<{ step: string }>('SELECT step FROM processed_messages WHERE order_id = $1 ORDER BY step', [orderId])).rows.map((r) => r.step);
}
export async function waitForOrderStatus(orderId: string, timeoutMs = 60000): Promise<OrderRowT> {
  return until(`order ${orderId} terminal`, async () => {
    const o = await orderRow(orderId);
    return o && (o.status === 'CONFIRMED' || o.status === 'CANCELLED') ? o : undefined;
  }, timeoutMs);
}

/** An event as the outbox stores it and Kafka carries it. */
export type EventEnvelope = ReturnType<typeof envelope>;

/** The topics the order saga's services publish their events on. */
export const ORDER_EVENT_TOPICS = ['order-created', 'inventory-events', 'payment-events', 'order-completed', 'order-failed'];
export type TopicCollector = Awaited<ReturnType<typeof collectTopic>>;

/**
 * The events an order's state changes enqueued, once each, sorted by type then time: those Kafka
 * carried (a sent outbox row is deleted), seen by `kafka` (a collectTopic of ORDER_EVENT_TOPICS
 * started before the order), and those still in the outbox. Once each: deduplicated by envelope id
 * (a row sent twice, by its writer and by the relay, is one event), so an event enqueued twice
 * shows twice. Waits until at least `atLeast` are seen. Kafka, not this process's bus: a runtime of
 * another test file on the same engines may run (and publish) this order's saga too.
 */
export async function eventsOfOrder(orderId: string, kafka: TopicCollector, atLeast = 0): Promise<Array<{ topic: string; event: EventEnvelope }>> {
  const read = async (): Promise<Array<{ topic: string; event: EventEnvelope }>> => {
    const out = new Map<string, { topic: string; event: EventEnvelope }>();
    const left = await db().query<{ topic: string; payload: EventEnvelope }>('SELECT topic, payload FROM outbox WHERE message_key = $1 ORDER BY id', [orderId]);
    for (const m of kafka.messages) {
      const e = m.value as EventEnvelope | null;
      if (m.key === orderId && e?.id && !out.has(e.id)) out.set(e.id, { topic: m.topic, event: e });
    }
    for (const r of left.rows) if (!out.has(r.payload.id)) out.set(r.payload.id, { topic: r.topic, event: r.payload });
    return [...out.values()].sort((x, y) => x.event.type.localeCompare(y.event.type) || x.event.time.localeCompare(y.event.time));
  };
  return until(`${atLeast} events of order ${orderId}`, async () => {
    const events = await read();
    return events.length >= atLeast ? events : undefined;
  }, 30000, 50);
}

/** The outbox rows still waiting for the broker (a sent row is deleted). */
export async function outboxLeft(orderId: string): Promise<Array<{ topic: string; type: string; attempts: number; last_error: string | null }>> {
  return (await db().query("SELECT topic, payload->>'type' AS type, attempts, last_error FROM outbox WHERE message_key = $1 ORDER BY id", [orderId])).rows;
}

/** Waits until the consumer group has committed offsets up to the end of the topic (everything produced so far was handled). */
export async function waitConsumed(groupId: string, topic: string, timeoutMs = 30000): Promise<void> {
  const admin = kafkaClient(endpoints().kafkaBrokers, `saga-it-admin-${RUN}`).admin();
  await admin.connect();
  try {
    const high = await admin.fetchTopicOffsets(topic);
    await until(`${groupId} to consume ${topic}`, async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const ok = high.every((h) => {
        const c = committed?.partitions.find((x) => x.partition === h.partition);
        return BigInt(c && c.offset !== '-1' ? c.offset : '0') >= BigInt(h.high);
      });
      return ok ? true : undefined;
    }, timeoutMs, 100);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Collects the envelopes published on topics from now on: the topics' end offsets are read first,
 * then a consumer of a fresh group joins and seeks every partition to them, so nothing produced
 * after this call is missed (a message fetched before the seek may come twice; readers dedupe by
 * envelope id). Not through admin.setOffsets (positionGroupAtEnd): kafkajs joins and leaves the
 * group once per topic for it, ~5 s each.
 */
export async function collectTopic(topics: string[]): Promise<{ messages: Array<{ topic: string; key: string; value: any }>; stop(): Promise<void> }> {
  const brokers = endpoints().kafkaBrokers;
  await createTopics(manifest, brokers); // on a fresh broker the topics may not exist yet
  const admin = kafkaClient(brokers, `saga-it-admin-${RUN}`).admin();
  await admin.connect();
  const ends: Array<{ topic: string; partition: number; offset: string }> = [];
  try {
    for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) ends.push({ topic, partition: o.partition, offset: o.high });
  } finally {
    await admin.disconnect();
  }
  const groupId = `saga-it-collector-${RUN}-${randomUUID().slice(0, 6)}`;
  // A short fetch wait: messages arrive within ~100 ms, and stop() does not wait out a 5 s fetch.
  const consumer = kafkaClient(brokers, groupId).consumer({ groupId, maxWaitTimeInMs: 100 });
  const messages: Array<{ topic: string; key: string; value: any }> = [];
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: false });
  await consumer.run({ eachMessage: async ({ topic, message }) => void messages.push({ topic, key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') }) });
  await joined;
  for (const e of ends) consumer.seek(e);
  return { messages, stop: () => consumer.disconnect() };
}

/**
 * Writes an order exactly as POST /orders does (order + lines + OrderCreated outbox row in one
 * statement, prices from the price list) but its order-created message is never delivered: the
 * outbox row is deleted without a send (as if sent), so no relay and no SagaStarter (of any runtime on
 * these engines) ever sees it. `ageSeconds` backdates the order (as if accepted that long ago).
 * Needs a started platform (the order adapter uses the shared pool, configured by it).
 */
export async function placeUndelivered(
  userId: string,
  items: ReadonlyArray<{ sku: string; quantity: number }>,
  /** A card token, or 'crypto' for an order paid on chain (no token). */
  paymentToken: string,
  ageSeconds = 0,
): Promise<{ orderId: string; event: ReturnType<typeof envelope>; data: OrderCreated }> {
  const orderId = randomUUID();
  const draft: OrderCreated = { orderId, userId, items: [], amountCents: 0, currency: 'EUR' };
  const crypto = paymentToken === 'crypto';
  const { unitPriceCents, outboxId } = await insertOrder(
    { id: orderId, userId, currency: 'EUR', paymentMethod: crypto ? 'crypto' : 'card', paymentToken: crypto ? null : paymentToken, idempotencyKey: undefined, requestHash: 'test', items },
    { eventId: randomUUID(), topic: 'order-created', payload: envelope({ type: 'OrderCreated', version: ORDER_CREATED_VERSION, source: 'shop.order', orderId, data: draft }) },
  );
  if (outboxId === undefined) throw new Error(`placeUndelivered: unknown SKU among ${items.map((i) => i.sku).join(', ')} (prices ${JSON.stringify(unitPriceCents)})`);
  // The event as stored (the statement filled in the priced lines and the amount).
  const event = (await db().query<{ payload: ReturnType<typeof envelope> }>('SELECT payload FROM outbox WHERE id = $1', [outboxId])).rows[0]!.payload;
  const data = event.data as OrderCreated;
  await db().query('DELETE FROM outbox WHERE id = $1', [outboxId]);
  if (ageSeconds > 0) await backdate(orderId, ageSeconds);
  return { orderId, event, data };
}

/** Moves an order's created_at/updated_at `seconds` into the past (what the sweeper measures). */
export async function backdate(orderId: string, seconds: number): Promise<void> {
  await db().query('UPDATE orders SET created_at = created_at - make_interval(secs => $2), updated_at = updated_at - make_interval(secs => $2) WHERE id = $1', [orderId, seconds]);
}

/** Delivers OrderCreated envelopes to the SagaStarter as MSK does, in one batch (what the order-created consumer would do). */
export async function deliverOrderCreated(p: Platform, ...events: Array<{ orderId?: string }>): Promise<unknown> {
  const messages = events.map((e, i) => ({ key: Buffer.from(e.orderId ?? ''), value: Buffer.from(JSON.stringify(e)), offset: String(i), timestamp: String(Date.now()), headers: {} }));
  return p.handlers.invoke('SagaStarter', buildMskEvent([{ topic: 'order-created', partition: 0, messages: messages as never[] }], endpoints().kafkaBrokers));
}

export async function orderStatusOf(orderId: string): Promise<string> {
  return (await orderRow(orderId)).status;
}
