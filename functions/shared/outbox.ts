import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PoolClient } from 'pg';
import { getPool, unprepared, withTransaction } from './adapters/pg';
import { getProducer, withProducer } from './adapters/kafka';
import type { Envelope } from './events';
import { logger, traced } from './powertools';

/**
 * Transactional outbox. A use case writes its domain event with `enqueue` in the SAME transaction
 * as its state change; right after the commit it calls `publishNow` (Kafka, then EventBridge when a
 * bus is configured, then deletes the rows: the table holds only what is still to be sent, Kafka
 * keeps what was). Rows that could not be published (crash, broker down) are swept by
 * `relayPending` (the OrderOutboxRelay schedule). Publishing twice is harmless: consumers dedupe on
 * the envelope id / the execution name.
 */
export interface OutboxMessage {
  readonly topic: string;
  /** Kafka message key (the order id for order-scoped events: keeps an order's events in order). */
  readonly key: string;
  readonly event: Envelope;
}
export interface OutboxRow extends OutboxMessage {
  readonly id: string;
}

export async function enqueue(tx: PoolClient, msgs: readonly OutboxMessage[]): Promise<OutboxRow[]> {
  if (msgs.length === 0) return [];
  const r = await tx.query<{ id: string }>(
    `INSERT INTO outbox (event_id, topic, message_key, payload)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) RETURNING id`,
    [msgs.map((m) => m.event.id), msgs.map((m) => m.topic), msgs.map((m) => m.key), msgs.map((m) => JSON.stringify(m.event))],
  );
  return msgs.map((m, i) => ({ ...m, id: String(r.rows[i]!.id) }));
}

/*
 * The outbox's reads and deletes are `unprepared` (adapters/pg.ts): the outbox is a queue, its sent
 * rows are deleted, so after autovacuum it is empty, and a generic plan cached then is a sequential
 * scan that stays until the next vacuum while the table fills again with a minute of dead rows
 * (~30 000 at 100 orders/s): every Publish step would read them all. A plan made at each call sees
 * the table's current size and takes the index.
 */

let eventBridge: EventBridgeClient | undefined;

/** The bus events go to: an explicit name (e.g. from the ASL's ${EventBusName}) or EVENT_BUS_NAME; none = Kafka only. */
export function eventBusName(explicit?: string): string | undefined {
  if (explicit && !explicit.includes('${')) return explicit;
  return process.env.EVENT_BUS_NAME || undefined;
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

export const PUBLISH_TIMEOUT_MS = Number(process.env.OUTBOX_PUBLISH_TIMEOUT_MS ?? 3000);

/*
 * The bus client's own bounds. The caller's PUBLISH_TIMEOUT_MS only stops the caller waiting: the
 * bus sender goes on awaiting the request, and every later bus send in the process queues behind it
 * (GroupSender sends one request at a time). The SDK's HTTP handler has no request timeout by default
 * (requestTimeout 0; and in @smithy/node-http-handler 4.14 an exceeded one only logs a warning
 * without throwOnRequestTimeout), so a PutEvents that was accepted and never answered wedged bus
 * publishing until the socket died. Each attempt is bounded (connect, then the whole request), and
 * the whole call gets PUBLISH_TIMEOUT_MS (the abort signal): the SDK retries a timed-out attempt, so
 * the per-attempt bound alone let a hung endpoint hold the sender for three attempts (~9 s; seen in
 * test/integration/shared/outbox-bus-timeout.test.ts), long after its callers had given up.
 */
const BUS_CONNECT_TIMEOUT_MS = Number(process.env.OUTBOX_BUS_CONNECT_TIMEOUT_MS ?? 1000);
const BUS_REQUEST_TIMEOUT_MS = Number(process.env.OUTBOX_BUS_REQUEST_TIMEOUT_MS ?? PUBLISH_TIMEOUT_MS);

/**
 * Group sending: while one request to the broker (or the bus) is in flight, new messages wait and
 * go together in the next request (like a producer's linger, without a fixed delay). No delay when
 * idle; under load one round trip carries many callers' messages. A failed request fails every
 * caller in it (their rows stay unpublished for the relay).
 */
class GroupSender<T> {
  private queue: Array<{ items: T[]; resolve: () => void; reject: (e: unknown) => void }> = [];
  private running = false;
  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly maxItems: number,
  ) {}
  submit(items: T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.running) void this.drain();
    });
  }
  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const group: typeof this.queue = [];
      let n = 0;
      while (this.queue.length > 0 && (group.length === 0 || n + this.queue[0]!.items.length <= this.maxItems)) {
        const next = this.queue.shift()!;
        n += next.items.length;
        group.push(next);
      }
      try {
        await this.flush(group.flatMap((g) => g.items));
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.running = false;
  }
}

type KafkaItem = { topic: string; key: string; value: string; headers: Record<string, string> };
const kafkaSender = new GroupSender<KafkaItem>(async (items) => {
  const byTopic = new Map<string, Array<{ key: string; value: string; headers: Record<string, string> }>>();
  for (const i of items) {
    const list = byTopic.get(i.topic) ?? [];
    list.push({ key: i.key, value: i.value, headers: i.headers });
    byTopic.set(i.topic, list);
  }
  // A failed send (a partly refused batch; one given up on by the timeout that may still land)
  // leaves the next send a new producer: withProducer.
  await withProducer(
    (producer) => timeout(producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) }), PUBLISH_TIMEOUT_MS, 'Kafka send'),
    () => timeout(getProducer(), PUBLISH_TIMEOUT_MS, 'Kafka connect'),
  );
}, 1000);

type BusItem = { bus: string; event: Envelope };
const busSender = new GroupSender<BusItem>(async (items) => {
  eventBridge ??= traced(new EventBridgeClient({ requestHandler: { connectionTimeout: BUS_CONNECT_TIMEOUT_MS, requestTimeout: BUS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true } }));
  const client = eventBridge;
  const chunks: BusItem[][] = [];
  for (let i = 0; i < items.length; i += 10) chunks.push(items.slice(i, i + 10));
  const abortSignal = AbortSignal.timeout(PUBLISH_TIMEOUT_MS);
  await Promise.all(
    chunks.map(async (chunk) => {
      const out = await client.send(
        new PutEventsCommand({ Entries: chunk.map((r) => ({ EventBusName: r.bus, Source: r.event.source, DetailType: r.event.type, Detail: JSON.stringify(r.event), Time: new Date(r.event.time) })) }),
        { abortSignal },
      );
      if (out.FailedEntryCount) throw new BusEntriesRejected(out.FailedEntryCount, (out.Entries ?? []).filter((e) => e.ErrorCode));
    }),
  );
}, 100);

/**
 * PutEvents answered with entries it did not take. `retriable` as on kafkajs's errors: false when
 * every one was refused for what it carries (RefusedBusEntryCodes), not for throttling, an internal
 * failure or a permission that no event of the bus has.
 */
const RefusedBusEntryCodes = new Set(['InvalidArgument', 'MalformedDetail']);
class BusEntriesRejected extends Error {
  override readonly name = 'BusEntriesRejected';
  readonly retriable: boolean;
  constructor(count: number, failed: ReadonlyArray<{ ErrorCode?: string; ErrorMessage?: string }>) {
    super(`EventBridge rejected ${count} event(s): ${failed[0]?.ErrorCode ?? ''} ${failed[0]?.ErrorMessage ?? ''}`.trimEnd());
    this.retriable = failed.length === 0 || failed.some((e) => !RefusedBusEntryCodes.has(e.ErrorCode ?? ''));
  }
}

/** Sends rows to Kafka and (when a bus is configured) EventBridge. Throws when either fails. */
export async function send(rows: readonly OutboxMessage[], opts: { readonly eventBusName?: string } = {}): Promise<void> {
  if (rows.length === 0) return;
  await kafkaSender.submit(rows.map((r) => ({ topic: r.topic, key: r.key, value: JSON.stringify(r.event), headers: { 'event-type': r.event.type, 'event-id': r.event.id } })));
  const bus = eventBusName(opts.eventBusName);
  if (!bus) return;
  await timeout(busSender.submit(rows.map((r) => ({ bus, event: r.event }))), PUBLISH_TIMEOUT_MS, 'EventBridge PutEvents');
}

/**
 * Forgets rows that were sent: a DELETE, not an UPDATE of a published flag (no second heap tuple and
 * index entries per event, no table growing for ever: migration 1764900000000). Concurrent callers'
 * ids go in one statement (grouped like the sends).
 */
const sentDeleter = new GroupSender<string>(async (ids) => {
  await (await getPool()).query(unprepared('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [ids]));
}, 5000);
async function deleteSent(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sentDeleter.submit([...ids]);
}

const errorText = (err: unknown): string => String((err as Error)?.message ?? err).slice(0, 500);

/** Counts a failed send on each row (`attempts`, `last_error`), on the pool or in the relay's transaction. */
async function countFailures(q: Pick<PoolClient, 'query'>, failed: ReadonlyArray<{ id: string; error: string }>): Promise<void> {
  if (failed.length === 0) return;
  await q.query(
    unprepared(
      `UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.error
       FROM unnest($1::bigint[], $2::text[]) AS f(id, error) WHERE o.id = f.id`,
      [failed.map((f) => f.id), failed.map((f) => f.error)],
    ),
  );
}

async function markFailed(ids: readonly string[], error: unknown): Promise<void> {
  await countFailures(await getPool(), ids.map((id) => ({ id, error: errorText(error) }))).catch(() => undefined);
}

/**
 * Best effort right after a commit: publishes these rows and marks them. Never throws (a failure
 * leaves the rows to the relay); returns whether they went out.
 */
export async function publishNow(rows: readonly OutboxRow[], opts: { readonly eventBusName?: string } = {}): Promise<boolean> {
  if (rows.length === 0) return true;
  const ids = rows.map((r) => r.id);
  try {
    await send(rows, opts);
  } catch (err) {
    logger.warn('outbox publish failed; the relay will retry', { ids, error: (err as Error).message });
    await markFailed(ids, err);
    return false;
  }
  await deleteSent(ids).catch((err: Error) => logger.warn('could not delete sent outbox rows (they will be sent again)', { ids, error: err.message }));
  return true;
}

function rowOf(r: { id: string; topic: string; message_key: string; payload: Envelope }): OutboxRow {
  return { id: String(r.id), topic: r.topic, key: r.message_key, event: r.payload };
}

/**
 * Publishes every row still in the outbox with this message key (an order's pending events). Throws when
 * the publish fails, so a saga Publish step can retry it. No transaction is held while sending: a
 * row the relay sends at the same moment goes out twice, which consumers tolerate.
 * (`published_at IS NULL` holds for every row written since migration 1764900000000; it skips a row
 * an older version marked during a deploy, and lets the partial index `outbox_key_unpublished` serve.)
 */
export async function publishPendingForKey(key: string, opts: { readonly eventBusName?: string } = {}): Promise<number> {
  const pool = await getPool();
  const r = await pool.query(unprepared('SELECT id, topic, message_key, payload FROM outbox WHERE message_key = $1 AND published_at IS NULL ORDER BY id', [key]));
  const rows = r.rows.map(rowOf);
  if (rows.length === 0) return 0;
  await send(rows, opts);
  await deleteSent(rows.map((x) => x.id));
  return rows.length;
}

/**
 * Whether an older row of the same key is still in the outbox (being sent, or failed and waiting for
 * the relay). A writer whose events carry absolute values (a restock's new stock) then leaves its own
 * rows to the relay, which sends a key's rows in id order, instead of publishing them ahead of the
 * older one. Uses `outbox_key_unpublished`.
 */
export async function hasOlderUnsent(rows: readonly OutboxRow[]): Promise<boolean> {
  if (rows.length === 0) return false;
  const first = rows.reduce((a, b) => (BigInt(a.id) < BigInt(b.id) ? a : b));
  const r = await (await getPool()).query<{ older: boolean }>(
    unprepared('SELECT EXISTS (SELECT 1 FROM outbox WHERE message_key = ANY($1::text[]) AND published_at IS NULL AND id < $2::bigint) AS older', [[...new Set(rows.map((x) => x.key))], first.id]),
  );
  return r.rows[0]!.older;
}

/** What one relay batch did: rows sent, rows that failed (with why), rows held behind an older unsent row of their key. */
export interface BatchOutcome {
  readonly sent: OutboxRow[];
  readonly failed: Array<{ row: OutboxRow; error: string }>;
  readonly held: OutboxRow[];
  /** Sending looked impossible (the broker or the bus down): the relay stops its sweep. */
  readonly unreachable: boolean;
}

/** After this many rows in a row fail in a way that looks like the sender not being reached, it is taken to be down and the rest of the batch is not tried. */
export const FAILURES_BEFORE_UNREACHABLE = 3;

/**
 * kafkajs protocol errors about the message itself: the broker answered, and will refuse the same
 * record again however often it is sent, while other records go. Not every non-retriable kafkajs
 * error is one: BROKER_NOT_AVAILABLE is non-retriable too, and an authorization failure refuses every
 * row alike (trying each row of the sweep alone would only cost a new producer per row).
 */
const RefusedKafkaTypes = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP']);

/**
 * Whether a failed send was refused for what it carries (so it says nothing about the sender being
 * down): a kafkajs protocol error of RefusedKafkaTypes, as thrown or as the cause kafkajs's retrier
 * wrapped it in; EventBridge's ValidationException (e.g. an event over its 256 KB); entries PutEvents
 * refused for themselves. Anything else (our timeouts, connection errors, retriable errors, errors not
 * recognised) may be the sender not being reached.
 */
export function refusedForItself(err: unknown): boolean {
  type Failure = { name?: unknown; type?: unknown; retriable?: unknown; $fault?: unknown; cause?: unknown };
  const seen = new Set<unknown>();
  for (let e = err as Failure | undefined; e && typeof e === 'object' && !seen.has(e); e = e.cause as Failure | undefined) {
    seen.add(e);
    if (e.name === 'KafkaJSProtocolError' && e.retriable === false && RefusedKafkaTypes.has(e.type as string)) return true;
    if (e.name === 'ValidationException' && e.$fault === 'client') return true;
    if (e.name === 'BusEntriesRejected' && e.retriable === false) return true;
  }
  return false;
}

/**
 * Sends a relay batch so that one row the broker refuses (say, a message over its size limit) does
 * not hold back the others: the batch goes in one request; if that fails, row by row, oldest first.
 * `heldKeys` are the keys the sweep holds (a row of the key failed, was held, or is being sent by
 * someone else): their rows are held (not sent, not counted), and the keys of rows that fail or are
 * held here are added, so an order's events keep their order across the sweep's batches, not only
 * within one. A row refused for itself (`refusedForItself`) is counted and passed over, however many
 * come in a row (the broker answered). Its key stays held, by choice: fail-stop per key. Its later
 * events wait (an order's consumers never see a gap), OutboxOldestUnsent alarms, and an operator
 * fixes or deletes the row. After FAILURES_BEFORE_UNREACHABLE other failures in a row the
 * sender is taken to be down and the rows not yet tried fail with the batch's error. `sendRows` is
 * `send` (injectable for tests).
 */
export async function sendIsolating(
  rows: readonly OutboxRow[],
  sendRows: (rows: readonly OutboxRow[]) => Promise<void> = send,
  heldKeys: Set<string> = new Set(),
): Promise<BatchOutcome> {
  const held = rows.filter((r) => heldKeys.has(r.key));
  const candidates = held.length === 0 ? rows : rows.filter((r) => !heldKeys.has(r.key));
  if (candidates.length === 0) return { sent: [], failed: [], held, unreachable: false };
  try {
    await sendRows(candidates);
    return { sent: [...candidates], failed: [], held, unreachable: false };
  } catch (batchError) {
    const sent: OutboxRow[] = [];
    const failed: Array<{ row: OutboxRow; error: string }> = [];
    let streak = 0;
    let i = 0;
    for (; i < candidates.length && streak < FAILURES_BEFORE_UNREACHABLE; i++) {
      const row = candidates[i]!;
      if (heldKeys.has(row.key)) {
        held.push(row);
        continue;
      }
      try {
        await sendRows([row]);
        sent.push(row);
        streak = 0;
      } catch (err) {
        failed.push({ row, error: errorText(err) });
        heldKeys.add(row.key);
        streak = refusedForItself(err) ? 0 : streak + 1;
      }
    }
    for (; i < candidates.length; i++) {
      failed.push({ row: candidates[i]!, error: errorText(batchError) });
      heldKeys.add(candidates[i]!.key);
    }
    return { sent, failed, held, unreachable: streak >= FAILURES_BEFORE_UNREACHABLE };
  }
}

/**
 * The relay: publishes the rows older than `minAgeMs` (younger ones are being published by
 * the writer right now), oldest first, in batches. Rows are locked with SKIP LOCKED so several
 * relays never send the same batch at once. A row that cannot be sent does not hold back the
 * others (`sendIsolating`): it is counted (`attempts`, `last_error`) and tried again on the next
 * sweep, and the sweep goes on past it (each batch starts after the last id of the one before).
 * An order's later rows wait behind its older unsent ones for the whole sweep: one set of held keys
 * goes through every batch, and it also gets the keys of older rows the batch's query passed over,
 * i.e. rows another relay has locked (it is sending them) or too young to take: their order's newer
 * rows must not go first. Those keys come from the same statement: the unsent rows between the
 * previous batch and this one's last id that are not in this batch (a range scan of the primary key
 * over about the rows just read).
 * Returns how many rows went out, failed, and were held behind an older row of their key.
 */
export async function relayPending(opts: { readonly limit?: number; readonly minAgeMs?: number; readonly maxBatches?: number } = {}): Promise<{ published: number; failed: number; held: number }> {
  const limit = opts.limit ?? 500;
  const minAgeMs = opts.minAgeMs ?? 2000;
  let published = 0;
  let failed = 0;
  let held = 0;
  let after = '0';
  const heldKeys = new Set<string>();
  for (let batch = 0; batch < (opts.maxBatches ?? 20); batch++) {
    const out = await withTransaction(async (tx) => {
      const r = await tx.query<{ id: string; topic: string; message_key: string; payload: Envelope; passed_over: string[] | null }>(
        unprepared(
          `WITH batch AS MATERIALIZED (
             SELECT id, topic, message_key, payload FROM outbox
             WHERE published_at IS NULL AND created_at <= now() - ($2::int * interval '1 millisecond') AND id > $3::bigint
             ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
           SELECT b.*, (SELECT array_agg(DISTINCT o.message_key) FROM outbox o
                        WHERE o.published_at IS NULL AND o.id > $3::bigint AND o.id < (SELECT max(id) FROM batch)
                          AND o.id NOT IN (SELECT id FROM batch)) AS passed_over
           FROM batch b ORDER BY b.id`,
          [limit, minAgeMs, after],
        ),
      );
      const rows = r.rows.map(rowOf);
      if (rows.length === 0) return undefined;
      for (const k of r.rows[0]!.passed_over ?? []) heldKeys.add(k);
      const o = await sendIsolating(rows, send, heldKeys);
      await countFailures(tx, o.failed.map((f) => ({ id: f.row.id, error: f.error })));
      if (o.sent.length > 0) await tx.query(unprepared('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [o.sent.map((x) => x.id)]));
      return { o, full: rows.length === limit, last: rows[rows.length - 1]!.id };
    });
    if (!out) break;
    published += out.o.sent.length;
    failed += out.o.failed.length;
    held += out.o.held.length;
    after = out.last;
    if (out.o.unreachable || !out.full) break;
  }
  return { published, failed, held };
}

/**
 * Age in seconds of the oldest row still in the outbox (0 when it is empty): how far behind event
 * publishing is. The oldest `created_at` among the first 1000 unsent rows by primary key: ids follow
 * commits closely but not exactly (a transaction that took its id early commits late), and the window
 * absorbs that without an index on created_at, which every insert would pay for; the dead rows of
 * sent events ahead of them in the index are skipped.
 */
export async function oldestUnsentAgeSeconds(): Promise<number> {
  const r = await (await getPool()).query<{ age: number | null }>(
    unprepared(
      `SELECT EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age
       FROM (SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1000) AS first_unsent`,
      [],
    ),
  );
  return Math.max(0, Number(r.rows[0]?.age ?? 0));
}
