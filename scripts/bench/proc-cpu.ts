import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU accounting from /proc (Linux) for the benches: the whole machine, and the engines' processes.
 * Each reader returns undefined off Linux; read before and after a phase and subtract.
 */

/**
 * Machine-wide CPU ticks from /proc/stat (busy = everything but idle and iowait; steal = time the
 * hypervisor gave this VM's CPUs to others, counted in busy); undefined off Linux.
 */
export function machineTicks(): { busy: number; steal: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), steal: f[7] ?? 0, total };
  } catch {
    return undefined;
  }
}

/** One process as /proc/<pid>/stat has it; CPU times in ms (USER_HZ 100 on every Linux build that matters here). */
export interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system of the process itself */
  ms: number;
  sysMs: number;
  /** user + system of its reaped children (PostgreSQL's postmaster accounts its ended backends here) */
  childMs: number;
  childSysMs: number;
}

/** Every running process, read once: the readers below take such a snapshot (a trace sample reads /proc once); [] off Linux. */
export function processes(): Proc[] {
  const out: Proc[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // after ")": state ppid ... utime(11) stime(12) cutime(13) cstime(14), 0-based
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (i: number) => Number(f[i]) * 10;
    out.push({ pid: Number(pid), ppid: Number(f[1]), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: ms(11) + ms(12), sysMs: ms(12), childMs: ms(13) + ms(14), childSysMs: ms(14) });
  }
  return out;
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return []; // exited meanwhile
  }
}

/** The Kafka broker's JVM among the processes (by its main class). */
function kafkaProcesses(procs: readonly Proc[]): Proc[] {
  return procs.filter((p) => p.comm === 'java' && commandLine(p.pid).includes('kafka.Kafka'));
}

/**
 * CPU time (ms) used so far by the engines' processes, from /proc (Linux): every `postgres`
 * process (postmaster and backends, plus the reaped children it accounts for) and the Kafka JVM.
 * Read before and after a phase, it says what each engine spent per order. Undefined off Linux.
 */
export function engineCpuMs(procs: readonly Proc[] = processes()): { postgres: number; kafka: number; postgresSys: number; kafkaSys: number } | undefined {
  if (procs.length === 0) return undefined;
  const sum = (xs: readonly Proc[], f: (p: Proc) => number) => xs.reduce((n, p) => n + f(p), 0);
  const pg = procs.filter((p) => p.comm === 'postgres');
  const kafka = kafkaProcesses(procs);
  return {
    postgres: sum(pg, (p) => p.ms + p.childMs),
    postgresSys: sum(pg, (p) => p.sysMs + p.childSysMs),
    kafka: sum(kafka, (p) => p.ms + p.childMs),
    kafkaSys: sum(kafka, (p) => p.sysMs + p.childSysMs),
  };
}

/** CPU time (ms) the whole machine spent between two readings of machineTicks (all cores, USER_HZ 100). */
export function machineCpuMs(a: { busy: number }, b: { busy: number }): number {
  return (b.busy - a.busy) * 10;
}

/** CPU time (ms, user + system) used so far by a process and its running descendants (e.g. the platform's serving process and its cluster workers). */
export function treeCpuMs(rootPid: number, procs: readonly Proc[] = processes()): number {
  const parent = new Map(procs.map((p) => [p.pid, p.ppid]));
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === rootPid) return true;
    return false;
  };
  return procs.filter((p) => inTree(p.pid)).reduce((n, p) => n + p.ms, 0);
}

/** CPU time (ms, user + system) of each running `postgres` process by pid: to attribute PostgreSQL's CPU to its backends (BENCH_TRACE). */
export function postgresCpuByPid(procs: readonly Proc[] = processes()): Map<number, number> {
  return new Map(procs.filter((p) => p.comm === 'postgres').map((p) => [p.pid, p.ms]));
}

/** The heap, GC and JIT flags (-X..., -XX:...) of the running Kafka broker, from its command line; undefined when none runs (or off Linux). */
export function kafkaJvmFlags(procs: readonly Proc[] = processes()): string[] | undefined {
  const [broker] = kafkaProcesses(procs);
  return broker ? commandLine(broker.pid).filter((a) => /^-X(X:|m[sx]|ss)/.test(a)) : undefined;
}
