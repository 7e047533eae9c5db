/**
 * Process, file and lock helpers shared by the engine modules. Plain Node, no dependencies.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, fstatSync, rmSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { userInfo } from 'node:os';
import type { EngineName } from './endpoints';

/** Repository root (this file lives in local/engines/). */
export const ROOT = path.resolve(__dirname, '..', '..');
/** Downloads and installed engines (git-ignored). */
export const CACHE_DIR = path.join(ROOT, '.cache', 'engines');
/** The Python virtualenv shared by moto (DynamoDB) and cfn-lint (git-ignored). */
export const VENV_DIR = path.join(ROOT, '.cache', 'venv');
/**
 * Data, logs and pid files (git-ignored). ENGINES_STATE_DIR moves them (tests run a throw-away set there).
 * A set started with ENGINES_PORT_OFFSET=N is another set of engines: without ENGINES_STATE_DIR it
 * keeps its files in `.engines/offset-N`, never in the default set's (its pid files would be overwritten).
 */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ENGINES_STATE_DIR) return path.resolve(env.ENGINES_STATE_DIR);
  const offset = Number(env.ENGINES_PORT_OFFSET?.trim() || 0);
  return Number.isInteger(offset) && offset > 0 ? path.join(ROOT, '.engines', `offset-${offset}`) : path.join(ROOT, '.engines');
}
export const STATE_DIR = stateRoot();

export function stateDir(name: EngineName): string {
  return path.join(STATE_DIR, name);
}
export function logFile(name: EngineName): string {
  return path.join(STATE_DIR, name, `${name}.log`);
}
export function pidFile(name: EngineName): string {
  return path.join(STATE_DIR, name, `${name}.pid`);
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The last `lines` lines of a file (reads at most the last 64 KiB); '' if absent. */
export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8').split('\n').slice(-lines - 1).join('\n').trimEnd();
  } finally {
    closeSync(fd);
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Append the command's output to this file instead of keeping it in memory only. */
  logTo?: string;
  timeoutMs?: number;
}

/** Runs a command to completion; resolves with its output, rejects (with the output's tail) on a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  if (opts.cwd) ensureDir(opts.cwd); // a missing cwd makes spawn fail with a misleading ENOENT for the command
  return new Promise((resolve, reject) => {
    const so: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] };
    if (opts.uid !== undefined) so.uid = opts.uid;
    if (opts.gid !== undefined) so.gid = opts.gid;
    const child = spawn(cmd, args, so);
    let out = '';
    const onData = (b: Buffer): void => {
      out += b.toString('utf8');
      if (out.length > 1_000_000) out = out.slice(-500_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (opts.logTo) {
        ensureDir(path.dirname(opts.logTo));
        writeFileSync(opts.logTo, `$ ${cmd} ${args.join(' ')}\n${out}\n`, { flag: 'a' });
      }
      if (code === 0) resolve(out);
      else {
        const lastLines = out.split('\n').slice(-25).join('\n');
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}\n${lastLines}`));
      }
    });
  });
}

/** True if the command exists on PATH (or is an existing absolute path). */
export function which(cmd: string): string | undefined {
  if (path.isAbsolute(cmd)) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

let aptUpdated = false;
/** Installs Debian packages non-interactively (root only); no-op for packages whose binary is present. */
export async function aptInstall(packages: string[], log: (m: string) => void): Promise<void> {
  if (!isRoot()) {
    throw new Error(`missing system packages: ${packages.join(' ')}; install them (sudo apt-get install -y ${packages.join(' ')}) or set the engine's URL variable`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log('apt-get update');
    await run('apt-get', ['update', '-qq'], { env, timeoutMs: 10 * 60_000 });
    aptUpdated = true;
  }
  log(`apt-get install ${packages.join(' ')}`);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env, timeoutMs: 15 * 60_000 });
}

/** Numeric uid/gid of a system user, from /etc/passwd. */
export function systemUser(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    /* not a Unix with /etc/passwd */
  }
  return undefined;
}

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * As root, lets another user (postgres, nobody) reach `target`: adds search permission (o+x, never
 * read) to every ancestor directory that lacks it, e.g. a clone under a private `mktemp -d` folder.
 */
export function makeReachable(target: string, log: (m: string) => void = () => undefined): void {
  if (!isRoot()) return;
  let dir = path.dirname(path.resolve(target));
  for (;;) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && (st.mode & 0o001) === 0) {
      chmodSync(dir, (st.mode & 0o7777) | 0o001);
      log(`chmod o+x ${dir} (so the engine's own user can reach ${target})`);
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
}

// ---------------------------------------------------------------------------------------------
// Pid files: stop only what we started.

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** The recorded pid if that process still runs and still looks like ours (its command line holds the marker). */
export function ownPid(name: EngineName, marker: string): number | undefined {
  const f = pidFile(name);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const cl = cmdline(pid);
  // /proc is absent on macOS: then trust the pid file.
  if (cl !== undefined && !cl.includes(marker)) return undefined;
  return pid;
}

export interface DaemonOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Starts a long-running process detached from us, output appended to the engine's log; records its pid. */
export function spawnDaemon(name: EngineName, cmd: string, args: string[], opts: DaemonOptions = {}): number {
  ensureDir(stateDir(name));
  const log = logFile(name);
  const fd = openSync(log, 'a');
  writeFileSync(fd, `\n==== ${new Date().toISOString()} starting: ${cmd} ${args.join(' ')}\n`);
  const so: SpawnOptions = { cwd: opts.cwd ?? stateDir(name), env: opts.env ?? process.env, detached: true, stdio: ['ignore', fd, fd] };
  if (opts.uid !== undefined) so.uid = opts.uid;
  if (opts.gid !== undefined) so.gid = opts.gid;
  const child = spawn(cmd, args, so);
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`cannot start ${name}: spawn ${cmd} failed (see ${log})`);
  child.on('error', () => undefined);
  child.unref();
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

/**
 * Stops the recorded process: `signal` (default SIGTERM) to it, then, after graceMs, SIGKILL to its
 * whole process group (it was spawned detached, so it leads its own group and no child outlives it).
 * Returns true if one was running.
 */
export async function stopDaemon(name: EngineName, marker: string, opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<boolean> {
  const pid = ownPid(name, marker);
  rmSync(pidFile(name), { force: true });
  if (pid === undefined) return false;
  try {
    process.kill(pid, opts.signal ?? 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + (opts.graceMs ?? 20_000);
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    while (isAlive(pid)) await sleep(50);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// A cross-process lock (O_EXCL lock file holding the owner's pid; a dead owner's lock is taken over).

const inProcess = new Map<string, Promise<unknown>>();

/** Serializes fn across processes (lock file) and within this process (promise chain). */
export function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  const prev = inProcess.get(name) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(() => withFileLock(name, fn, timeoutMs));
  inProcess.set(name, next.catch(() => undefined));
  return next;
}

async function withFileLock<T>(name: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  ensureDir(STATE_DIR);
  const file = path.join(STATE_DIR, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let content: string;
      try {
        content = readFileSync(file, 'utf8');
      } catch {
        continue; // released between our open and read
      }
      const owner = Number(content.trim());
      const valid = Number.isInteger(owner) && owner > 0;
      // A dead owner's lock is stale. An empty one is being written right now, unless it stays empty.
      const stale = valid ? !isAlive(owner) : Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 5_000;
      if (stale) {
        try {
          if (readFileSync(file, 'utf8') === content) unlinkSync(file); // still the lock we judged
        } catch {
          /* someone else removed it */
        }
        await sleep(20 + Math.random() * 50);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the engines lock ${file} held by pid ${owner}`);
      if (!announced) {
        process.stderr.write(`engines: waiting for pid ${owner} (lock ${path.relative(ROOT, file)})\n`);
        announced = true;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
}

/** Polls check() until it returns true; stops early (returning false) when alive() says the process died. */
export async function waitUntil(
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; alive?: () => boolean },
): Promise<'ready' | 'died' | 'timeout'> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return 'ready';
    if (opts.alive && !opts.alive()) return 'died';
    if (Date.now() > deadline) return 'timeout';
    await sleep(opts.intervalMs ?? 250);
  }
}
