/**
 * The transactional outbox on the real PostgreSQL and Kafka: a row Kafka acknowledged is deleted
 * (the table keeps only what is still to be sent), a row that could not be sent stays, counted, for
 * the relay, and the relay sends the old rows it can lock, oldest first.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
delete process.env.EVENT_BUS_NAME; // Kafka only: this file runs no local AWS endpoint

import { randomUUID } from 'node:crypto';
import { endpoints } from '../../../local/engines/endpoints';
import { createTopics } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { closePool, getPool, withTransaction } from '../../../functions/shared/adapters/pg';
import { closeProducer, getProducer } from '../../../functions/shared/adapters/kafka';
import { enqueue, publishNow, publishPendingForKey, relayPending, type OutboxMessage } from '../../../functions/shared/outbox';
import { envelope } from '../../../functions/shared/events';
import { closeDb, collectTopic, db, migrate, until, type TopicCollector } from '../saga/helpers';

jest.setTimeout(60000);

const TOPIC = 'inventory-events';
let kafka: TopicCollector;
const savedPoolMax = process.env.PG_POOL_MAX;
beforeAll(async () => {
  process.env.PG_URL ??= endpoints().pgUrl; // a direct connection: the pool prepares its statements
  process.env.PG_POOL_MAX = '1'; // one connection, so pg_prepared_statements below is the pool's
  process.env.KAFKA_BROKERS ??= endpoints().kafkaBrokers.join(',');
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  kafka = await collectTopic([TOPIC]);
});
afterAll(async () => {
  await kafka?.stop();
  await closeProducer();
  await closePool();
  await closeDb();
  if (savedPoolMax === undefined) delete process.env.PG_POOL_MAX;
  else process.env.PG_POOL_MAX = savedPoolMax;
});

const message = (key: string, type: string, data: unknown = { n: 1 }): OutboxMessage => ({ topic: TOPIC, key, event: envelope({ type, source: 'shop.test', orderId: key, data }) });
const write = (msgs: OutboxMessage[]) => withTransaction((tx) => enqueue(tx, msgs));
const rowsOf = async (key: string) =>
  (await db().query<{ type: string; attempts: number; last_error: string | null }>("SELECT payload->>'type' AS type, attempts, last_error FROM outbox WHERE message_key = $1 ORDER BY id", [key])).rows;
const backdate = (key: string, seconds: number) => db().query("UPDATE outbox SET created_at = created_at - make_interval(secs => $2) WHERE message_key = $1", [key, seconds]);
/** The event ids of `key` Kafka carried (once the expected number arrived). */
const onKafka = (key: string, n: number) =>
  until(`${n} message(s) of ${key} on Kafka`, () => {
    const ids = kafka.messages.filter((m) => m.key === key).map((m) => (m.value as { id: string }).id);
    return ids.length >= n ? ids : undefined;
  }, 30000);

it('publishNow sends the rows to Kafka and deletes them', async () => {
  const key = randomUUID();
  const rows = await write([message(key, 'A'), message(key, 'B')]);
  expect((await rowsOf(key)).map((r) => r.type)).toEqual(['A', 'B']);
  expect(await publishNow(rows)).toBe(true);
  expect(await rowsOf(key)).toEqual([]);
  expect((await onKafka(key, 2)).sort()).toEqual(rows.map((r) => r.event.id).sort());
});

it('a send Kafka refuses keeps the row, with the attempt and the error, for the relay', async () => {
  const key = randomUUID();
  // Over the broker's message.max.bytes (1 MiB): a real refusal, not a stand-in.
  const rows = await write([message(key, 'TooLarge', { blob: 'x'.repeat(1_200_000) })]);
  try {
    const producerBefore = await getProducer();
    expect(await publishNow(rows)).toBe(false);
    // The failed send closed the producer: the next send gets a new one (a new producer id, fresh
    // sequence numbers; withProducer in adapters/kafka.ts).
    expect(await getProducer()).not.toBe(producerBefore);
    expect(await rowsOf(key)).toEqual([{ type: 'TooLarge', attempts: 1, last_error: expect.stringMatching(/too large|larger|MESSAGE_TOO_LARGE|timed out/i) }]);
  } finally {
    await db().query('DELETE FROM outbox WHERE message_key = $1', [key]); // no later relay should try it again, even when an assertion failed
  }
  // The producer is not left broken: events of the same key (the same partition) go out at once.
  const next = await write([message(key, 'After1'), message(key, 'After2')]);
  expect(await publishNow(next)).toBe(true);
  expect((await onKafka(key, 2)).sort()).toEqual(next.map((r) => r.event.id).sort());
});

it('the relay sends the rows older than its minimum age and deletes them; younger rows stay for their writer', async () => {
  const old = randomUUID();
  const young = randomUUID();
  const oldRows = await write([message(old, 'Old1'), message(old, 'Old2')]);
  await write([message(young, 'Young')]);
  await backdate(old, 120);
  const r = await relayPending({ minAgeMs: 60_000 });
  expect(r.failed).toBe(0);
  expect(r.published).toBeGreaterThanOrEqual(2); // other files' leftovers of the same age go too
  expect(await rowsOf(old)).toEqual([]);
  expect((await onKafka(old, 2)).sort()).toEqual(oldRows.map((x) => x.event.id).sort());
  expect((await rowsOf(young)).map((x) => x.type)).toEqual(['Young']);

  // An order's Publish step sends its own rows whatever their age.
  expect(await publishPendingForKey(young)).toBe(1);
  expect(await rowsOf(young)).toEqual([]);
  expect(await onKafka(young, 1)).toHaveLength(1);
});

it("a row the broker refuses does not hold back the relay: the rows after it go, the refused one stays counted, and its order's later events wait behind it", async () => {
  const poisoned = randomUUID();
  const other = randomUUID();
  // Oldest first: the refused row heads the batch (over message.max.bytes: a real refusal).
  const [tooLarge] = await write([message(poisoned, 'TooLarge', { blob: 'x'.repeat(1_200_000) })]);
  const otherRows = await write([message(other, 'Fine1'), message(other, 'Fine2')]);
  await write([message(poisoned, 'After')]);
  await backdate(poisoned, 120);
  await backdate(other, 120);
  try {
    // Other test files' platforms run relays on this outbox too (every 500 ms): any of them may be the
    // one that takes these rows, so this checks what became of the rows, not one call's counts.
    await relayPending({ minAgeMs: 60_000 });
    await until('the rows behind the refused one to be sent', async () => ((await rowsOf(other)).length === 0 ? true : undefined), 30000);
    // Each of them, at least once: the refused batch may have landed them already (its other
    // partitions took their messages), and then the row-by-row retry sends them again; consumers
    // dedupe on the envelope id.
    expect([...new Set(await onKafka(other, 2))].sort()).toEqual(otherRows.map((x) => x.event.id).sort());
    const [refused, after] = await until('the refused row to be counted', async () => {
      const rows = await rowsOf(poisoned);
      return rows[0] && rows[0].attempts >= 1 ? rows : undefined;
    }, 30000);
    expect(refused).toEqual({ type: 'TooLarge', attempts: expect.any(Number), last_error: expect.stringMatching(/too large|larger|MESSAGE_TOO_LARGE|timed out/i) });
    expect(after).toEqual({ type: 'After', attempts: 0, last_error: null }); // held behind it, never tried
    expect(kafka.messages.filter((m) => m.key === poisoned)).toEqual([]);
    expect(tooLarge).toBeDefined();
  } finally {
    await db().query('DELETE FROM outbox WHERE message_key = $1', [poisoned]);
  }
});

it('the relay skips rows another relay holds (SKIP LOCKED) and sends them once released', async () => {
  const key = randomUUID();
  await write([message(key, 'Held')]);
  await backdate(key, 120);
  const holder = await db().connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM outbox WHERE message_key = $1 FOR UPDATE', [key]);
    await relayPending({ minAgeMs: 60_000 });
    expect(await rowsOf(key)).toEqual([{ type: 'Held', attempts: 0, last_error: null }]);
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined); // even when an assertion failed: the shared pool must not get an open transaction back
    holder.release();
  }
  await relayPending({ minAgeMs: 60_000 });
  expect(await rowsOf(key)).toEqual([]);
  expect(await onKafka(key, 1)).toHaveLength(1);
});

it('keeps nothing that was sent: 50 events through publishNow leave no row', async () => {
  const keys = Array.from({ length: 10 }, () => randomUUID());
  const rows = (await Promise.all(keys.map((k) => write([1, 2, 3, 4, 5].map((i) => message(k, `E${i}`)))))).flat();
  expect(await Promise.all(keys.map(async (k) => publishNow(rows.filter((r) => r.key === k))))).toEqual(keys.map(() => true));
  const left = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE message_key = ANY($1::text[])', [keys]);
  expect(left.rows[0]!.n).toBe(0);
  for (const k of keys) expect(await onKafka(k, 5)).toHaveLength(5);
});

it("plans its reads and deletes at each call, never from a cached generic plan (a queue table's plan made while it was empty is a sequential scan)", async () => {
  const key = randomUUID();
  const rows = await write([message(key, 'P1')]);
  await db().query("UPDATE outbox SET created_at = created_at - interval '2 minutes' WHERE message_key = $1", [key]);
  for (let i = 0; i < 7; i++) await publishPendingForKey(randomUUID()); // past the five runs after which a prepared statement may go generic
  await relayPending({ minAgeMs: 60_000 });
  await publishNow(await write([message(key, 'P2')]));
  expect(await rowsOf(key)).toEqual([]);
  expect(await onKafka(key, 2)).toEqual(expect.arrayContaining([rows[0]!.event.id]));
  // The pool prepares (enqueue's INSERT is there), but nothing that reads the outbox or deletes from it.
  const prepared = await (await getPool()).query<{ statement: string }>("SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%outbox%'");
  const texts = prepared.rows.map((r) => r.statement.replace(/\s+/g, ' ').trim());
  expect(texts.some((t) => t.startsWith('INSERT INTO outbox'))).toBe(true);
  expect(texts.filter((t) => !t.startsWith('INSERT INTO outbox'))).toEqual([]);
});

it("an order's refused row holds its later rows across the relay's batches, not only within one", async () => {
  const poisoned = randomUUID();
  await write([message(poisoned, 'TooLarge', { blob: 'x'.repeat(1_200_000) })]);
  await write([message(poisoned, 'After')]);
  await backdate(poisoned, 120);
  try {
    // One row per batch: the refused row and the one after it are in different batches. (Another
    // platform's relay may take them instead: what is checked is what became of them.)
    await relayPending({ minAgeMs: 60_000, limit: 1, maxBatches: 100_000 });
    const [refused, after] = await rowsOf(poisoned);
    expect(refused).toEqual({ type: 'TooLarge', attempts: expect.any(Number), last_error: expect.stringMatching(/too large|larger|MESSAGE_TOO_LARGE|timed out/i) });
    expect(refused!.attempts).toBeGreaterThanOrEqual(1);
    expect(after).toEqual({ type: 'After', attempts: 0, last_error: null });
    expect(kafka.messages.filter((m) => m.key === poisoned)).toEqual([]);
  } finally {
    await db().query('DELETE FROM outbox WHERE message_key = $1', [poisoned]);
  }
});

it("an order's rows wait behind its older row another relay holds (SKIP LOCKED skipped it), and then go in order", async () => {
  const key = randomUUID();
  const [first] = await write([message(key, 'First')]);
  const [second] = await write([message(key, 'Second')]);
  await backdate(key, 120);
  const holder = await db().connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM outbox WHERE id = $1 FOR UPDATE', [first!.id]);
    await relayPending({ minAgeMs: 60_000 });
    expect(await rowsOf(key)).toEqual([
      { type: 'First', attempts: 0, last_error: null },
      { type: 'Second', attempts: 0, last_error: null },
    ]);
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined); // even when an assertion failed: the shared pool must not get an open transaction back
    holder.release();
  }
  await relayPending({ minAgeMs: 60_000 });
  await until('both rows to be sent', async () => ((await rowsOf(key)).length === 0 ? true : undefined), 30000);
  // In order (a batch another relay retried row by row may have carried them twice, in order too).
  expect([...new Set(await onKafka(key, 2))]).toEqual([first!.event.id, second!.event.id]);
});

it('rows the broker refuses for themselves do not stop the relay, however many come first: the good row after three of them is sent', async () => {
  const refusedKeys = [randomUUID(), randomUUID(), randomUUID()];
  const good = randomUUID();
  // Three orders' rows over message.max.bytes, oldest, then a fine one: one batch.
  const rows = await write([...refusedKeys.map((k) => message(k, 'TooLarge', { blob: 'x'.repeat(1_200_000) })), message(good, 'Fine')]);
  await db().query("UPDATE outbox SET created_at = created_at - interval '2 minutes' WHERE id = ANY($1::bigint[])", [rows.map((r) => r.id)]);
  try {
    // Whichever relay takes them (another platform's may): the good row goes, the refused ones stay, counted.
    await relayPending({ minAgeMs: 60_000 });
    await until('the good row to be sent', async () => ((await rowsOf(good)).length === 0 ? true : undefined), 30000);
    expect([...new Set(await onKafka(good, 1))]).toEqual([rows[3]!.event.id]);
    for (const k of refusedKeys) {
      expect(await rowsOf(k)).toEqual([{ type: 'TooLarge', attempts: expect.any(Number), last_error: expect.stringMatching(/too large|larger|MESSAGE_TOO_LARGE/i) }]);
      expect((await rowsOf(k))[0]!.attempts).toBeGreaterThanOrEqual(1);
    }
  } finally {
    await db().query('DELETE FROM outbox WHERE message_key = ANY($1::text[])', [[...refusedKeys, good]]);
  }
});
