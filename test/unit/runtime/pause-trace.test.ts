import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startPauseTrace } from '../../../local/runtime/pause-trace';

// A collection on demand: allocation alone did not always bring a scavenge within the wait (a CI run
// saw none), so the test asks V8 for one (gc exposed at run time, as --expose-gc would).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number | string>) : []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LOCAL_PAUSE_TRACE: the platform workers\' GC pauses and event-loop stalls', () => {
  it('is off, and writes nothing, without a file', () => {
    expect(startPauseTrace(undefined)).toBeUndefined();
  });

  it('records a blocked event loop as a stall and garbage collections with their kind, in wall-clock time', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pause-')), 'p.jsonl');
    const stop = startPauseTrace(file)!;
    try {
      await sleep(30);
      // In the trace's own clock (timeOrigin + performance.now()): Date.now() can be tens of ms away
      // from it in a process that has run a while (a CI run's filter missed the stall by that).
      const before = performance.timeOrigin + performance.now();
      const until = performance.now() + 80;
      while (performance.now() < until); // the event loop blocked for 80 ms
      let junk: unknown[] = [];
      for (let i = 0; i < 300_000; i++) junk.push({ i, s: `x${i}` }); // enough garbage for a scavenge
      junk = [];
      collect();
      const seen = () => lines(file).some((l) => l.lagMs !== undefined) && lines(file).some((l) => l.gc !== undefined);
      for (let i = 0; i < 50 && !seen(); i++) await sleep(20);
      const got = lines(file);
      // The stall this test made is the one whose span covers the 80 ms block (a busy machine, e.g. CI
      // starting engines meanwhile, can stall the loop by itself, before or after). A stall line's t is
      // when the 10 ms timer was due (its last run + 10 ms), so its span is [t - 10, t + lagMs].
      const stall = got.find((l) => l.lagMs !== undefined && Number(l.t) - 10 <= before + 5 && Number(l.t) + Number(l.lagMs) >= before + 75);
      expect({ stall, before: Math.round(before), got: got.filter((l) => l.lagMs !== undefined) }).toMatchObject({ stall: expect.objectContaining({ pid: process.pid }) });
      expect(Number(stall!.lagMs)).toBeGreaterThanOrEqual(75);
      expect(before - Number(stall!.t)).toBeLessThan(1000);
      const gc = got.find((l) => l.gc !== undefined);
      expect(gc).toMatchObject({ gc: expect.stringMatching(/^(minor|major|incremental|weakcb)$/), ms: expect.any(Number), heapMB: expect.any(Number) });
      expect(junk).toHaveLength(0);
    } finally {
      stop();
    }
  });
});
