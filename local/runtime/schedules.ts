import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { allHandlers, type PlatformManifest } from '../../lib/manifest';
import { LOCAL_ACCOUNT, LOCAL_EVENT_BUS, region, ruleArn } from './env';
import type { HandlerRegistry } from './handlers';
import { log } from './log';

/**
 * Runs the manifest's 'schedule' handlers (outbox relay, catalog relay, ...) on a local interval instead of
 * their `rate(...)` (`intervalMs`, or the handler's own `localIntervalSeconds`), with the EventBridge
 * Scheduled Event shape. Runs of one handler never overlap:
 * the next run starts `intervalMs` after the previous one ended. A failed run is logged; the next
 * run comes as usual (the handlers are sweeps, so a missed run loses nothing).
 */
export interface Schedules {
  readonly handlers: readonly string[];
  /** Runs one handler now (waiting for a run in progress first); resolves when it has finished. */
  runNow(handler: string): Promise<void>;
  stop(): Promise<void>;
}

export function scheduledEvent(handler: string, time = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: region(),
    resources: [ruleArn(LOCAL_EVENT_BUS, `${handler}Schedule`)],
    detail: {},
  };
}

export function startSchedules(opts: { manifest: PlatformManifest; handlers: HandlerRegistry; intervalMs?: number; only?: readonly string[] }): Schedules {
  const intervalMs = opts.intervalMs ?? 1000;
  const defs = allHandlers(opts.manifest).filter((h) => h.kind === 'schedule' && (!opts.only || opts.only.includes(h.name)));
  const names = defs.map((h) => h.name);
  const every = new Map(defs.map((h) => [h.name, h.localIntervalSeconds !== undefined ? h.localIntervalSeconds * 1000 : intervalMs]));
  let stopped = false;
  const current = new Map<string, Promise<void>>();
  const timers = new Map<string, NodeJS.Timeout>();

  const runOnce = (name: string): Promise<void> => {
    const prev = current.get(name) ?? Promise.resolve();
    const next = prev.then(async () => {
      try {
        await opts.handlers.invoke(name, scheduledEvent(name));
      } catch (err) {
        log.error('schedule: run failed', { handler: name, errorType: (err as Error).name, error: (err as Error).message });
      }
    });
    current.set(name, next);
    return next;
  };

  const loop = (name: string) => {
    if (stopped) return;
    const t = setTimeout(() => {
      runOnce(name).finally(() => loop(name));
    }, every.get(name) ?? intervalMs);
    timers.set(name, t);
  };
  for (const n of names) loop(n);

  return {
    handlers: names,
    runNow: (name) => {
      if (!names.includes(name)) return Promise.reject(new Error(`'${name}' is not a running schedule (${names.join(', ') || 'none'})`));
      return runOnce(name);
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      await Promise.allSettled([...current.values()]);
    },
  };
}
