import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

/**
 * LOCAL_PAUSE_TRACE=file: a diagnostic for the benches. Appends one JSON line per garbage
 * collection of this process ({t, pid, gc: kind, ms}) and per event-loop stall over 20 ms
 * ({t, pid, lagMs}: a 10 ms timer that fired late), with wall-clock epoch ms, so a bench trace
 * can line the platform's pauses up with its slow orders. Off (and free) when the variable is unset.
 */
const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export function startPauseTrace(file = process.env.LOCAL_PAUSE_TRACE): (() => void) | undefined {
  if (!file) return undefined;
  const write = (o: Record<string, unknown>) => appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...o })}\n`);
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      write({ t: Math.round(performance.timeOrigin + e.startTime), gc: KINDS[kind ?? -1] ?? String(kind), ms: Math.round(e.duration * 10) / 10, heapMB: Math.round(process.memoryUsage().heapUsed / 1048576) });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const lag = now - last - 10;
    if (lag > 20) write({ t: Math.round(performance.timeOrigin + last + 10), lagMs: Math.round(lag) });
    last = now;
  }, 10);
  timer.unref();
  return () => {
    obs.disconnect();
    clearInterval(timer);
  };
}
