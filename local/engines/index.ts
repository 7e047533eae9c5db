/**
 * Local engines: install, start (or reuse), stop, status. Used by the CLI (`npm run engines -- ...`),
 * by `npm start` and by jest's global setup for the integration tests.
 *
 * Rules: an engine whose URL variable is set (PG_URL, ...) is external: never installed, started or
 * stopped, only checked. Start is idempotent and serialized across processes by a lock file in
 * .engines/. Stop ends only the processes whose pids we recorded (and whose command lines still match).
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENGINE_ENV_VAR, ENGINE_NAMES, ENGINE_PORT, PORT_OFFSET, endpoints, isExternal, portsInLocalRange, type EngineName, type Endpoints } from './endpoints';
import type { Engine, Log } from './types';
import { postgres } from './postgres';
import { redis } from './redis';
import { kafka } from './kafka';
import { opensearch } from './opensearch';
import { mongo } from './ferretdb';
import { dynamodb } from './dynamodb';
import { chain } from './chain';
import { ensurePythonTools } from './python';
import { ROOT, ensureDir, isAlive, logFile, ownPid, stateDir, stopDaemon, tail, waitUntil, withLock, STATE_DIR } from './util';

export { endpoints, engineEnv, ENGINE_NAMES, ENGINE_ENV_VAR, PORTS, isExternal } from './endpoints';
export type { EngineName, Endpoints } from './endpoints';

export const ENGINES: Record<EngineName, Engine> = { postgres, redis, kafka, opensearch, mongo, dynamodb, chain };

/** Thrown when an engine does not become ready; names the engine and the log to read. */
export class EngineStartError extends Error {
  constructor(
    readonly engine: EngineName,
    readonly logFile: string,
    reason: string,
  ) {
    const last = tail(logFile, 25);
    super(
      `${ENGINES[engine].title} (${engine}) failed to start: ${reason}.\n` +
        `  Read its log: ${logFile}\n` +
        (last ? `  Last lines:\n${last.replace(/^/gm, '    | ')}` : '  (the log is empty)'),
    );
    this.name = 'EngineStartError';
  }
}

export interface EngineOptions {
  /** Only these engines (default: all of ENGINE_NAMES). */
  only?: readonly EngineName[];
  /** Progress messages (default: to stderr, prefixed "engines:"). */
  log?: Log;
  /** Mark engines this call starts as disposable: the last test run to leave stops them (see releaseLease). */
  ephemeral?: boolean;
  /** Keep the engines this call reuses running even if a test run started them (clears their disposable mark). */
  persist?: boolean;
}

export interface StartReport {
  endpoints: Endpoints;
  started: EngineName[];
  reused: EngineName[];
  external: EngineName[];
  /** Seconds per engine spent in install + start (0 when reused). */
  seconds: Partial<Record<EngineName, number>>;
}

const defaultLog: Log = (m) => process.stderr.write(`engines: ${m}\n`);

function selected(only?: readonly EngineName[]): EngineName[] {
  if (!only) return [...ENGINE_NAMES];
  for (const n of only) if (!ENGINE_NAMES.includes(n)) throw new Error(`unknown engine "${n}" (expected one of ${ENGINE_NAMES.join(', ')})`);
  return ENGINE_NAMES.filter((n) => only.includes(n));
}

const ephemeralMark = (n: EngineName): string => path.join(stateDir(n), 'ephemeral');

/** Installs what is missing (engines not pointed elsewhere, plus cfn-lint for the CDK tests). Idempotent. */
export async function installEngines(opts: EngineOptions & { tools?: boolean } = {}): Promise<void> {
  const log = opts.log ?? defaultLog;
  const names = selected(opts.only).filter((n) => !isExternal(n));
  await withLock('install', async () => {
    // apt-based ones one after the other (dpkg has its own lock), the rest side by side.
    const apt: EngineName[] = ['postgres', 'redis'];
    for (const n of names.filter((x) => apt.includes(x))) await installOne(n, log);
    const rest = names.filter((x) => !apt.includes(x));
    const jobs: Promise<void>[] = rest.map((n) => installOne(n, log));
    if (opts.tools !== false) jobs.push(ensurePythonTools(log));
    const results = await Promise.allSettled(jobs);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw new Error(failed.map((f) => (f.reason as Error).message).join('\n'));
  });
}

async function installOne(n: EngineName, log: Log): Promise<void> {
  const e = ENGINES[n];
  if (e.installed()) return;
  const t0 = Date.now();
  log(`${n}: installing ${e.title}`);
  try {
    await e.install((m) => log(`${n}: ${m}`));
  } catch (err) {
    throw new Error(`${e.title} (${n}) install failed: ${(err as Error).message}`);
  }
  if (!e.installed()) throw new Error(`${e.title} (${n}) install finished but the engine is still missing`);
  log(`${n}: installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Starts (or reuses) the engines and waits until each answers a real query. */
export async function startEngines(opts: EngineOptions = {}): Promise<StartReport> {
  const log = opts.log ?? defaultLog;
  const names = selected(opts.only);
  const eps = endpoints();
  const report: StartReport = { endpoints: eps, started: [], reused: [], external: [], seconds: {} };

  const external = names.filter((n) => isExternal(n));
  const local = names.filter((n) => !isExternal(n));
  // External endpoints: only checked.
  await Promise.all(
    external.map(async (n) => {
      report.external.push(n);
      const ok = await ENGINES[n].probe(eps);
      if (!ok) throw new Error(`${ENGINES[n].title} (${n}): ${ENGINE_ENV_VAR[n]}=${process.env[ENGINE_ENV_VAR[n]]} is set but does not answer`);
    }),
  );
  if (local.length === 0) return report;

  await installEngines({ only: local, log, tools: false });
  const clash = portsInLocalRange(readIfExists('/proc/sys/net/ipv4/ip_local_port_range'));
  if (clash.length) log(`WARNING: port(s) ${clash.join(', ')} lie in this machine's range for outgoing connections' local ports (net.ipv4.ip_local_port_range): a client socket can take one and make the engine fail to start; set ENGINES_PORT_OFFSET or narrow the range`);
  await withLock('engines', async () => {
    const results = await Promise.allSettled(local.map((n) => startOne(n, eps, log, opts, report)));
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    if (errors.length) {
      const err = errors.length === 1 ? errors[0]! : new Error(errors.map((e) => e.message).join('\n\n'));
      throw err;
    }
  });
  return report;
}

/**
 * Where engines started before the port file existed listen (the defaults until 2026-11-30). The
 * chain came later, always with a port file: its entry is its one port so far.
 */
const PORTS_BEFORE_2026_11_30: Record<EngineName, number> = { postgres: 55432, redis: 56379, kafka: 59092, opensearch: 59200, mongo: 57017, dynamodb: 58000, chain: 18545 };
/** The port an engine was launched on, recorded beside its pid file. */
const portFile = (n: EngineName) => path.join(stateDir(n), 'port');
function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function startOne(n: EngineName, eps: Endpoints, log: Log, opts: EngineOptions, report: StartReport): Promise<void> {
  const ephemeral = opts.ephemeral === true;
  const e = ENGINES[n];
  const t0 = Date.now();
  ensureDir(stateDir(n));
  if (await e.probe(eps)) {
    // Already up (ours from an earlier start, or another process on the port): reuse.
    if (opts.persist) rmSync(ephemeralMark(n), { force: true });
    await afterReady(n, eps, () => undefined);
    report.reused.push(n);
    report.seconds[n] = 0;
    return;
  }
  let pid = ownPid(n, e.marker);
  const launchedOn = readIfExists(portFile(n))?.trim() || String(PORTS_BEFORE_2026_11_30[n] + PORT_OFFSET);
  if (launchedOn !== String(ENGINE_PORT[n])) {
    // Ours, but started on another port (e.g. the defaults before they moved below the ephemeral
    // range, see EPHEMERAL_PORT_LOW): it holds the data directory, so stop it and start anew. Its
    // command line holds its data directory or its old port (Redis and FerretDB show only the port).
    const marker = pid !== undefined ? e.marker : `:${launchedOn}`;
    const old = pid ?? ownPid(n, marker);
    if (old !== undefined) {
      log(`${n}: pid ${old} was started on port ${launchedOn}; restarting it on ${ENGINE_PORT[n]}`);
      await stopDaemon(n, marker, e.stopSignal ? { signal: e.stopSignal } : {});
      pid = undefined;
    }
  }
  if (pid === undefined) {
    if (e.prepare) await e.prepare((m) => log(`${n}: ${m}`));
    pid = await e.launch();
    writeFileSync(portFile(n), `${ENGINE_PORT[n]}\n`);
    log(`${n}: started ${e.title} (pid ${pid}), waiting until it answers`);
  } else {
    log(`${n}: pid ${pid} is running but not answering yet, waiting`);
  }
  const running = pid;
  const outcome = await waitUntil(() => e.probe(eps), { timeoutMs: e.startTimeoutMs, intervalMs: 250, alive: () => isAlive(running) });
  if (outcome !== 'ready') {
    if (outcome === 'died') throw new EngineStartError(n, logFile(n), 'the process exited');
    if (ephemeral) {
      // A test run leaves nothing hanging behind.
      await stopDaemon(n, e.marker, e.stopSignal ? { signal: e.stopSignal } : {});
      throw new EngineStartError(n, logFile(n), `no answer within ${e.startTimeoutMs / 1000} s (stopped it)`);
    }
    throw new EngineStartError(n, logFile(n), `no answer within ${e.startTimeoutMs / 1000} s (pid ${running} left running; stop it with: npm run engines -- stop ${n})`);
  }
  await afterReady(n, eps, (m) => log(`${n}: ${m}`));
  if (ephemeral) writeFileSync(ephemeralMark(n), `${process.pid}\n`);
  else rmSync(ephemeralMark(n), { force: true });
  report.started.push(n);
  report.seconds[n] = (Date.now() - t0) / 1000;
  log(`${n}: ready at ${e.where(eps)} in ${report.seconds[n]!.toFixed(1)} s`);
}

async function afterReady(n: EngineName, eps: Endpoints, log: Log): Promise<void> {
  const e = ENGINES[n];
  if (!e.afterReady) return;
  try {
    await e.afterReady(eps, log);
  } catch (err) {
    throw new EngineStartError(n, logFile(n), `it answers, but setting it up failed: ${(err as Error).message}`);
  }
}

/**
 * Starts or reuses the engines; resolves with their endpoints. Used by `npm start`: what it starts or
 * reuses keeps running (unless `ephemeral` is set). jest's global setup uses startEngines({ ephemeral: true }).
 */
export async function ensureEngines(opts: EngineOptions = {}): Promise<Endpoints> {
  return (await startEngines({ persist: !opts.ephemeral, ...opts })).endpoints;
}

/** Stops the engines we started (recorded pids only); returns the names stopped. */
export async function stopEngines(opts: { only?: readonly EngineName[]; log?: Log } = {}): Promise<EngineName[]> {
  const log = opts.log ?? defaultLog;
  const names = selected(opts.only).filter((n) => !isExternal(n));
  return withLock('engines', () => stopUnlocked(names, log));
}

async function stopUnlocked(names: EngineName[], log: Log): Promise<EngineName[]> {
  const stopped: EngineName[] = [];
  await Promise.all(
    names.map(async (n) => {
      const e = ENGINES[n];
      if (await stopDaemon(n, e.marker, e.stopSignal ? { signal: e.stopSignal } : {})) {
        stopped.push(n);
        log(`${n}: stopped`);
      }
      rmSync(ephemeralMark(n), { force: true });
    }),
  );
  return stopped;
}

export interface EngineStatus {
  name: EngineName;
  title: string;
  where: string;
  external: boolean;
  installed: boolean;
  /** Pid we started and recorded, if it still runs. */
  pid?: number;
  /** Answers a real query right now. */
  ready: boolean;
  log: string;
}

export async function engineStatus(opts: { only?: readonly EngineName[] } = {}): Promise<EngineStatus[]> {
  const eps = endpoints();
  return Promise.all(
    selected(opts.only).map(async (n) => {
      const e = ENGINES[n];
      const external = isExternal(n);
      const pid = external ? undefined : ownPid(n, e.marker);
      return {
        name: n,
        title: e.title,
        where: e.where(eps),
        external,
        installed: external || e.installed(),
        ...(pid !== undefined ? { pid } : {}),
        ready: await e.probe(eps),
        log: path.relative(ROOT, logFile(n)),
      };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Leases: several test runs may share the engines. Each run holds a lease (a file named by its pid)
// while it runs; when the last live lease is released, engines that a test run started (marked
// ephemeral) are stopped. Engines started by `npm run engines -- start` or `npm start` are kept.

const LEASES = path.join(STATE_DIR, 'leases');

export async function acquireLease(): Promise<void> {
  await withLock('engines', async () => {
    ensureDir(LEASES);
    writeFileSync(path.join(LEASES, String(process.pid)), `${new Date().toISOString()}\n`);
  });
}

/** Releases this process's lease; if no other live lease remains, stops the ephemeral engines. */
export async function releaseLease(opts: { log?: Log } = {}): Promise<EngineName[]> {
  const log = opts.log ?? defaultLog;
  return withLock('engines', async () => {
    rmSync(path.join(LEASES, String(process.pid)), { force: true });
    const others = existsSync(LEASES)
      ? readdirSync(LEASES).filter((f) => {
          const pid = Number(f);
          if (Number.isInteger(pid) && isAlive(pid)) return true;
          rmSync(path.join(LEASES, f), { force: true }); // a crashed run's lease
          return false;
        })
      : [];
    if (others.length > 0) return [];
    // A mark is only written for an engine a test run started itself (never for an external one);
    // the URL variables may well be set here (the global setup exports them), so do not look at them.
    const ephemeral = ENGINE_NAMES.filter((n) => existsSync(ephemeralMark(n)));
    return stopUnlocked(ephemeral, log);
  });
}
