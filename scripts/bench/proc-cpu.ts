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

/**
 * CPU time (ms) used so far by the engines' processes, from /proc (Linux): every `postgres`
 * process (postmaster and backends, plus the reaped children it accounts for) and the Kafka JVM.
 * Read before and after a phase, it says what each engine spent per order. Undefined off Linux.
 */
export function engineCpuMs(): { postgres: number; kafka: number; postgresSys: number; kafkaSys: number } | undefined {
  try {
    const hz = 100; // USER_HZ, 100 on every Linux build that matters here
    const out = { postgres: 0, kafka: 0, postgresSys: 0, kafkaSys: 0 };
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // after ")": state ppid ... utime(12) stime(13) cutime(14) cstime(15), 0-based
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      const sys = Number(f[12]) + Number(f[14]);
      if (comm === 'postgres') {
        out.postgres += (ticks * 1000) / hz;
        out.postgresSys += (sys * 1000) / hz;
      }
      else if (comm === 'java') {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (cmd.includes('kafka.Kafka')) {
          out.kafka += (ticks * 1000) / hz;
          out.kafkaSys += (sys * 1000) / hz;
        }
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** CPU time (ms) the whole machine spent between two readings of machineTicks (all cores, USER_HZ 100). */
export function machineCpuMs(a: { busy: number }, b: { busy: number }): number {
  return (b.busy - a.busy) * 10;
}

/** CPU time (ms, user + system) used so far by a process and its running descendants (e.g. the platform's serving process and its cluster workers). */
export function treeCpuMs(rootPid: number): number {
  const procs = new Map<number, { ppid: number; ms: number }>();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        procs.set(Number(pid), { ppid: Number(f[1]), ms: ((Number(f[11]) + Number(f[12])) * 1000) / 100 });
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return 0; // not Linux
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = procs.get(p)?.ppid ?? 0, hops++) if (p === rootPid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, x] of procs) if (inTree(pid)) total += x.ms;
  return total;
}

/** CPU time (ms, user + system) of each running `postgres` process by pid: to attribute PostgreSQL's CPU to its backends (BENCH_TRACE). */
export function postgresCpuByPid(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(pid), ((Number(f[11]) + Number(f[12])) * 1000) / 100);
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** The heap, GC and JIT flags (-X..., -XX:...) of the running Kafka broker, from its command line; undefined when none runs (or off Linux). */
export function kafkaJvmFlags(): string[] | undefined {
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      const args = cmd.split('\0');
      if (args.includes('kafka.Kafka')) return args.filter((a) => /^-X(X:|m[sx]|ss)/.test(a));
    }
  } catch {
    // not Linux
  }
  return undefined;
}
