import { OffsetCommitter } from '../../../local/runtime/consumers';

type Offsets = Array<{ topic: string; partition: number; offset: string }>;

function fakeConsumer(fail = false) {
  const calls: Offsets[] = [];
  return {
    calls,
    commitOffsets: async (o: Offsets) => {
      calls.push(o);
      if (fail) throw new Error('stale generation');
    },
  };
}

describe('OffsetCommitter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('coalesces commits within the interval: one request with the latest offset of each partition', async () => {
    const c = fakeConsumer();
    const k = new OffsetCommitter(c, 200, 'g');
    k.commitSoon('t', 0, '5');
    k.commitSoon('t', 0, '9');
    k.commitSoon('t', 1, '3');
    expect(c.calls).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(200);
    expect(c.calls).toEqual([[{ topic: 't', partition: 0, offset: '9' }, { topic: 't', partition: 1, offset: '3' }]]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(c.calls).toHaveLength(1); // nothing pending, nothing sent
  });

  it('flush sends what is pending at once and in order (a later flush never overtakes an earlier one)', async () => {
    const c = fakeConsumer();
    const k = new OffsetCommitter(c, 10_000, 'g');
    k.commitSoon('t', 0, '2');
    const first = k.flush();
    k.commitSoon('t', 0, '7');
    await Promise.all([first, k.flush()]);
    expect(c.calls.map((x) => x[0]!.offset)).toEqual(['2', '7']);
  });

  it('interval 0 commits every offset right away', async () => {
    const c = fakeConsumer();
    const k = new OffsetCommitter(c, 0, 'g');
    k.commitSoon('t', 2, '11');
    await k.flush();
    expect(c.calls).toEqual([[{ topic: 't', partition: 2, offset: '11' }]]);
  });

  it('a failed commit is logged, not thrown (the records are delivered again, which handlers absorb)', async () => {
    const c = fakeConsumer(true);
    const k = new OffsetCommitter(c, 0, 'g');
    k.commitSoon('t', 0, '1');
    await expect(k.flush()).resolves.toBeUndefined();
    expect(c.calls).toHaveLength(1);
  });

  it('after close (the consumer disconnected) a late batch commits nothing, and a commit failing then logs nothing', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const c = fakeConsumer(true);
      const k = new OffsetCommitter(c, 200, 'g');
      k.commitSoon('t', 0, '4');
      const failing = k.flush(); // sent before the close, fails after it
      k.close();
      await failing;
      k.commitSoon('t', 0, '5'); // a batch that finished during the disconnect
      await jest.advanceTimersByTimeAsync(1000);
      await k.flush();
      expect(c.calls).toEqual([[{ topic: 't', partition: 0, offset: '4' }]]);
      expect([...warn.mock.calls, ...log.mock.calls].map((x) => String(x[0]))).not.toContainEqual(expect.stringContaining('offset commit failed'));
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });
});
