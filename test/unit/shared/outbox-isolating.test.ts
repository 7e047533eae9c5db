/** The relay's batch sending (shared/outbox.ts `sendIsolating`) with a sender that refuses chosen rows; on the real broker in test/integration/shared/outbox.test.ts. */
import { FAILURES_BEFORE_UNREACHABLE, sendIsolating, type OutboxRow } from '../../../functions/shared/outbox';
import { envelope } from '../../../functions/shared/events';

const row = (id: number, key: string): OutboxRow => ({ id: String(id), topic: 't', key, event: envelope({ type: `E${id}`, source: 'shop.test', orderId: key, data: {} }) });

/** A sender that refuses any request containing one of `bad`, and records every request. */
function sender(bad: (r: OutboxRow) => boolean) {
  const requests: string[][] = [];
  const sendRows = async (rows: readonly OutboxRow[]) => {
    requests.push(rows.map((r) => r.id));
    const refused = rows.find(bad);
    if (refused) throw new Error(`refused ${refused.id}`);
  };
  return { sendRows, requests };
}

describe('sendIsolating', () => {
  it('sends a batch in one request when the sender takes it', async () => {
    const s = sender(() => false);
    const rows = [row(1, 'a'), row(2, 'b')];
    expect(await sendIsolating(rows, s.sendRows)).toEqual({ sent: rows, failed: [], held: [], unreachable: false });
    expect(s.requests).toEqual([['1', '2']]);
  });

  it('a refused row does not hold back the others; rows of its key after it are held, in order', async () => {
    const s = sender((r) => r.id === '2');
    const rows = [row(1, 'a'), row(2, 'b'), row(3, 'c'), row(4, 'b'), row(5, 'd')];
    const o = await sendIsolating(rows, s.sendRows);
    expect(o.sent.map((r) => r.id)).toEqual(['1', '3', '5']);
    expect(o.failed).toEqual([{ row: rows[1], error: 'refused 2' }]);
    expect(o.held.map((r) => r.id)).toEqual(['4']);
    expect(o.unreachable).toBe(false);
    expect(s.requests).toEqual([['1', '2', '3', '4', '5'], ['1'], ['2'], ['3'], ['5']]);
  });

  it(`takes the sender to be down after ${FAILURES_BEFORE_UNREACHABLE} failures in a row: the rest fail with the batch's error, untried`, async () => {
    const s = sender(() => true);
    const rows = Array.from({ length: 10 }, (_, i) => row(i + 1, `k${i}`));
    const o = await sendIsolating(rows, s.sendRows);
    expect(o.unreachable).toBe(true);
    expect(o.sent).toEqual([]);
    expect(o.failed.map((f) => f.row.id)).toEqual(rows.map((r) => r.id));
    expect(o.failed.slice(FAILURES_BEFORE_UNREACHABLE).every((f) => f.error === 'refused 1')).toBe(true);
    expect(s.requests).toHaveLength(1 + FAILURES_BEFORE_UNREACHABLE);
  });
});
