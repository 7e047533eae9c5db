/** The relay's batch sending (shared/outbox.ts `sendIsolating`) with a sender that refuses chosen rows; on the real broker in test/integration/shared/outbox.test.ts. */
import { FAILURES_BEFORE_UNREACHABLE, refusedForItself, sendIsolating, type OutboxRow } from '../../../functions/shared/outbox';
import { envelope } from '../../../functions/shared/events';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from '../../../functions/shared/adapters/kafkajs';

const row = (id: number, key: string): OutboxRow => ({ id: String(id), topic: 't', key, event: envelope({ type: `E${id}`, source: 'shop.test', orderId: key, data: {} }) });

/** What kafkajs throws when the broker refuses a message over message.max.bytes (seen on the real broker: a KafkaJSProtocolError, retriable: false). */
const tooLarge = () => new KafkaJSProtocolError({ type: 'MESSAGE_TOO_LARGE', code: 10, retriable: false, message: 'The request included a message larger than the max message size the server will accept' } as unknown as Error);
/** What kafkajs throws when the broker cannot be reached: connection errors, retried, then given up. */
const connectionRefused = () => {
  const cause = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19092');
  return Object.assign(new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 1000 }), { cause });
};
/** kafkajs's retrier gives up on a non-retriable error by wrapping it: KafkaJSNonRetriableError, the refusal as its cause. */
const wrapped = (cause: Error) => Object.assign(new KafkaJSNonRetriableError(cause), { cause });

/** A sender that fails any request containing a row `fail` gives an error for, and records every request. */
function sender(fail: (r: OutboxRow) => Error | undefined | false) {
  const requests: string[][] = [];
  const sendRows = async (rows: readonly OutboxRow[]) => {
    requests.push(rows.map((r) => r.id));
    for (const r of rows) {
      const err = fail(r);
      if (err) throw err;
    }
  };
  return { sendRows, requests };
}

describe('sendIsolating', () => {
  it('sends a batch in one request when the sender takes it', async () => {
    const s = sender(() => undefined);
    const rows = [row(1, 'a'), row(2, 'b')];
    expect(await sendIsolating(rows, s.sendRows)).toEqual({ sent: rows, failed: [], held: [], unreachable: false });
    expect(s.requests).toEqual([['1', '2']]);
  });

  it('a refused row does not hold back the others; rows of its key after it are held, in order', async () => {
    const s = sender((r) => r.id === '2' && new Error('refused 2'));
    const rows = [row(1, 'a'), row(2, 'b'), row(3, 'c'), row(4, 'b'), row(5, 'd')];
    const o = await sendIsolating(rows, s.sendRows);
    expect(o.sent.map((r) => r.id)).toEqual(['1', '3', '5']);
    expect(o.failed).toEqual([{ row: rows[1], error: 'refused 2' }]);
    expect(o.held.map((r) => r.id)).toEqual(['4']);
    expect(o.unreachable).toBe(false);
    expect(s.requests).toEqual([['1', '2', '3', '4', '5'], ['1'], ['2'], ['3'], ['5']]);
  });

  it(`takes the sender to be down after ${FAILURES_BEFORE_UNREACHABLE} failures in a row that look like it being unreachable: the rest fail with the batch's error, untried`, async () => {
    const s = sender(() => connectionRefused());
    const rows = Array.from({ length: 10 }, (_, i) => row(i + 1, `k${i}`));
    const o = await sendIsolating(rows, s.sendRows);
    expect(o.unreachable).toBe(true);
    expect(o.sent).toEqual([]);
    expect(o.failed.map((f) => f.row.id)).toEqual(rows.map((r) => r.id));
    expect(o.failed.every((f) => /ECONNREFUSED/.test(f.error))).toBe(true);
    expect(s.requests).toHaveLength(1 + FAILURES_BEFORE_UNREACHABLE);
  });

  it('counts a send that timed out (ours) toward the broker being down', async () => {
    const s = sender(() => new Error('Kafka send timed out after 3000 ms'));
    const o = await sendIsolating([row(1, 'a'), row(2, 'b'), row(3, 'c'), row(4, 'd')], s.sendRows);
    expect(o.unreachable).toBe(true);
    expect(s.requests).toHaveLength(1 + FAILURES_BEFORE_UNREACHABLE);
  });

  it(`rows the broker refuses for themselves (MESSAGE_TOO_LARGE) are counted and passed over, however many in a row: the row after ${FAILURES_BEFORE_UNREACHABLE} of them is sent`, async () => {
    const refused = new Set(['1', '2', '3']);
    const s = sender((r) => refused.has(r.id) && tooLarge());
    const rows = [row(1, 'a'), row(2, 'b'), row(3, 'c'), row(4, 'd')];
    const o = await sendIsolating(rows, s.sendRows);
    expect(o.unreachable).toBe(false);
    expect(o.sent.map((r) => r.id)).toEqual(['4']);
    expect(o.failed.map((f) => f.row.id)).toEqual(['1', '2', '3']);
    expect(o.failed.every((f) => /larger than the max message size/.test(f.error))).toBe(true);
    expect(s.requests).toEqual([['1', '2', '3', '4'], ['1'], ['2'], ['3'], ['4']]);
  });

  it('a refusal wrapped by the retrier (KafkaJSNonRetriableError, cause MESSAGE_TOO_LARGE) is a refusal too; an answer from the broker ends a streak of unreachable failures', async () => {
    const errors: Record<string, Error> = { '1': connectionRefused(), '2': connectionRefused(), '3': wrapped(tooLarge()), '4': connectionRefused(), '5': connectionRefused() };
    const s = sender((r) => errors[r.id]);
    const o = await sendIsolating([row(1, 'a'), row(2, 'b'), row(3, 'c'), row(4, 'd'), row(5, 'e'), row(6, 'f')], s.sendRows);
    expect(o.unreachable).toBe(false);
    expect(o.sent.map((r) => r.id)).toEqual(['6']);
    expect(o.failed.map((f) => f.row.id)).toEqual(['1', '2', '3', '4', '5']);
  });

  it("keeps an order's events in order across batches: a key that failed, or was held, in one call is held in the next calls of the same sweep", async () => {
    const heldKeys = new Set<string>();
    const s = sender((r) => r.id === '1' && tooLarge());
    // Batch 1: order x's oldest row is refused on its own (no streak); y goes.
    const first = await sendIsolating([row(1, 'x'), row(2, 'y')], s.sendRows, heldKeys);
    expect(first.failed.map((f) => f.row.id)).toEqual(['1']);
    expect(first.sent.map((r) => r.id)).toEqual(['2']);
    // Batch 2: x's newer row must not overtake it; z goes, in one request without x.
    const second = await sendIsolating([row(3, 'x'), row(4, 'z')], s.sendRows, heldKeys);
    expect(second.held.map((r) => r.id)).toEqual(['3']);
    expect(second.sent.map((r) => r.id)).toEqual(['4']);
    expect(second.failed).toEqual([]);
    // Batch 3: x is still held, even though row 3 was only held, never tried.
    const third = await sendIsolating([row(5, 'x')], s.sendRows, heldKeys);
    expect(third.held.map((r) => r.id)).toEqual(['5']);
    expect(s.requests).toEqual([['1', '2'], ['1'], ['2'], ['4']]);
  });

  it('holds the rows of keys the caller already holds (e.g. an older row locked by another relay) without sending them', async () => {
    const s = sender(() => undefined);
    const o = await sendIsolating([row(1, 'locked'), row(2, 'free'), row(3, 'locked')], s.sendRows, new Set(['locked']));
    expect(o.sent.map((r) => r.id)).toEqual(['2']);
    expect(o.held.map((r) => r.id)).toEqual(['1', '3']);
    expect(o.failed).toEqual([]);
    expect(s.requests).toEqual([['2']]);
  });
});

describe('refusedForItself', () => {
  const protocolError = (type: string, code: number) => new KafkaJSProtocolError({ type, code, retriable: false, message: type } as unknown as Error);
  it('is a refusal only for errors about the message itself, not for every non-retriable one', () => {
    expect(refusedForItself(tooLarge())).toBe(true);
    expect(refusedForItself(wrapped(tooLarge()))).toBe(true);
    expect(refusedForItself(protocolError('INVALID_RECORD', 87))).toBe(true);
    // Non-retriable in kafkajs, but about the broker or the client, not the row: count toward "down".
    expect(refusedForItself(protocolError('BROKER_NOT_AVAILABLE', 8))).toBe(false);
    expect(refusedForItself(wrapped(protocolError('TOPIC_AUTHORIZATION_FAILED', 29)))).toBe(false);
    expect(refusedForItself(connectionRefused())).toBe(false);
    expect(refusedForItself(new Error('Kafka send timed out after 3000 ms'))).toBe(false);
    expect(refusedForItself(undefined)).toBe(false);
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    expect(refusedForItself(loop)).toBe(false);
  });
});
