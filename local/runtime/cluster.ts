/**
 * The local runtime on every core: N worker processes (node:cluster), each a whole platform
 * (startPlatform: gateway, Kafka consumers, Step Functions runner, AWS endpoint), so the same
 * handlers and the same ASL run as they do in one process, only in parallel. What is shared and how:
 *
 *  - the gateway port (3000) and the AWS endpoint port (3001) are cluster-shared listening sockets:
 *    the primary hands each new connection to the next worker (round robin);
 *  - Kafka consumers of every worker join the same consumer groups, so Kafka splits the partitions
 *    (order-created has 6); an order's messages keep their partition, so they keep their worker;
 *  - Step Functions executions live in PostgreSQL (local_runtime.sfn_executions): StartExecution with a
 *    used name is refused whichever worker gets it, and Describe/List read the table. An execution runs
 *    in the worker whose endpoint got its StartExecution; GetExecutionHistory of a RUNNING execution
 *    asked of another worker returns what the table has (the history is written when it ends);
 *  - schedules (outbox relay, sweepers) run in worker 1 only; worker 1 also resumes executions a
 *    crashed runtime left RUNNING (each claimed in the table, so never twice).
 *
 * A worker that dies unexpectedly is restarted (its RUNNING executions are resumed by the new one:
 * they are orphans once its pid is gone). stop() asks every worker to stop (consumers leave, executions
 * drain) and waits for them.
 *
 * Used by `npm start` when LOCAL_WORKERS > 1 and by `npm run bench:saga`.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Component, PlatformOptions } from './index';
import { startPauseTrace } from './pause-trace';

export interface ClusterOptions {
  /** Worker processes (default: LOCAL_WORKERS, else the machine's parallelism, at most 4). */
  readonly workers?: number;
  /** Gateway port (0 = any free port, the same one for every worker). */
  readonly port: number;
  /** AWS endpoint port (0 = any free port, the same one for every worker). */
  readonly awsPort: number;
  readonly host?: string;
  readonly components?: readonly Component[];
  readonly scheduleIntervalMs?: number;
  readonly consumer?: PlatformOptions['consumer'];
  /** The stores that run here; see PlatformOptions.stores. */
  readonly stores?: PlatformOptions['stores'];
  /** Re-run executions a crash left RUNNING (worker 1 only; default true). */
  readonly resumeRunningExecutions?: boolean;
  /** Extra environment for the workers. */
  readonly env?: Record<string, string>;
  /** Called with each worker line of progress (start, restart, exit). */
  readonly log?: (line: string) => void;
}

export interface WorkerInfo {
  readonly index: number;
  readonly pid: number;
  readonly components: readonly Component[];
}

export interface ClusterHandle {
  readonly url: string;
  readonly awsUrl: string;
  readonly workers: readonly WorkerInfo[];
  readonly stateMachineArns: Readonly<Record<string, string>>;
  readonly consumers: ReadonlyArray<{ handler: string; topics: string[] }>;
  readonly schedules: readonly string[];
  /** CPU used so far by the workers, summed (process.cpuUsage of each, in microseconds). */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  stop(): Promise<void>;
}

/** What a worker is told (JSON in LOCAL_WORKER_SPEC). */
interface WorkerSpec {
  readonly index: number;
  readonly port: number;
  readonly awsPort: number;
  readonly host?: string;
  readonly components: readonly Component[];
  readonly scheduleIntervalMs?: number;
  readonly consumer?: PlatformOptions['consumer'];
  readonly stores?: PlatformOptions['stores'];
  readonly resumeRunningExecutions: boolean;
}

type Ready = {
  op: 'ready';
  url: string;
  awsUrl: string;
  stateMachineArns: Record<string, string>;
  consumers: Array<{ handler: string; topics: string[] }>;
  schedules: string[];
};
type FromWorker = Ready | { op: 'cpu'; id: number; cpu: NodeJS.CpuUsage } | { op: 'failed'; error: string };

export const MAX_DEFAULT_WORKERS = 4;

/**
 * LOCAL_WORKERS: a positive integer, or `auto` / unset = half the machine's cores (at most 4): the
 * engines (PostgreSQL, Kafka, ...) run on the same machine and need the other half. Measured on 2 cores
 * (bench:saga, same run conditions): 1 worker 65.9 orders/s at 11.4 ms CPU per order, 2 workers 61.0
 * orders/s at 15.3 ms; PostgreSQL, Kafka and the load generator already took the second core.
 */
export function workerCount(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const raw = (env.LOCAL_WORKERS ?? '').trim();
  if (raw === '' || raw === 'auto') return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, Math.floor(cores / 2)));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`invalid environment: LOCAL_WORKERS must be "auto" or an integer 1..64, got "${raw}"`);
  return n;
}

export async function startCluster(opts: ClusterOptions): Promise<ClusterHandle> {
  if (!cluster.isPrimary) throw new Error('startCluster runs in the primary process');
  const n = opts.workers ?? workerCount();
  const say = opts.log ?? (() => undefined);
  const all: readonly Component[] = opts.components ?? ['gateway', 'consumers', 'schedules', 'sfn', 'aws-endpoint'];
  cluster.setupPrimary({ exec: path.join(__dirname, 'cluster-worker.ts'), execArgv: process.execArgv, silent: false });

  const specFor = (index: number, port: number, awsPort: number): WorkerSpec => ({
    index,
    port,
    awsPort,
    ...(opts.host ? { host: opts.host } : {}),
    // Schedules once (worker 1); everything else everywhere.
    components: index === 1 ? all : all.filter((c) => c !== 'schedules'),
    ...(opts.scheduleIntervalMs !== undefined ? { scheduleIntervalMs: opts.scheduleIntervalMs } : {}),
    ...(opts.consumer ? { consumer: opts.consumer } : {}),
    ...(opts.stores ? { stores: opts.stores } : {}),
    resumeRunningExecutions: index === 1 && (opts.resumeRunningExecutions ?? true),
  });

  const workers = new Map<number, { worker: Worker; spec: WorkerSpec }>();
  let stopping = false;
  const fork = (spec: WorkerSpec): Promise<{ worker: Worker; ready: Ready }> =>
    new Promise((resolve, reject) => {
      // The SDK's Node-version notice once per worker is noise: `npm start` prints it once.
      const worker = cluster.fork({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...opts.env, LOCAL_WORKER_SPEC: JSON.stringify(spec), LOCAL_WORKER_INDEX: String(spec.index) });
      workers.set(spec.index, { worker, spec });
      const onMessage = (m: FromWorker) => {
        if (m.op === 'ready') {
          cleanup();
          resolve({ worker, ready: m });
        } else if (m.op === 'failed') {
          cleanup();
          reject(new Error(`worker ${spec.index} failed to start: ${m.error}`));
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`worker ${spec.index} exited during start (${signal ?? code})`));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });

  const stopWorkers = async () => {
    stopping = true;
    await Promise.all(
      [...workers.values()].map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), 20000);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            worker.send({ op: 'stop' });
          }),
      ),
    );
  };

  try {
    // Every worker listens with the same arguments, so the primary gives them the same sockets (port 0
    // included: the primary binds it once and every worker's same-ordered listen(0) shares it).
    const first = await fork(specFor(1, opts.port, opts.awsPort));
    const rest = await Promise.all(Array.from({ length: n - 1 }, (_, i) => fork(specFor(i + 2, opts.port, opts.awsPort))));
    const ports = [first, ...rest].map((w) => `${w.ready.url} ${w.ready.awsUrl}`);
    if (new Set(ports).size !== 1) throw new Error(`cluster workers listen on different ports: ${ports.join(' | ')}`);
    say(`cluster: ${n} worker(s) ready (pids ${[first, ...rest].map((w) => w.worker.process.pid).join(', ')})`);

    // A worker that dies while the cluster runs is replaced (same spec, same ports).
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      const entry = [...workers.values()].find((w) => w.worker === worker);
      if (!entry) return;
      say(`cluster: worker ${entry.spec.index} (pid ${worker.process.pid}) exited (${signal ?? code}); restarting it`);
      fork({ ...entry.spec, resumeRunningExecutions: true }).then(
        ({ worker: w }) => say(`cluster: worker ${entry.spec.index} restarted (pid ${w.process.pid})`),
        (err: Error) => say(`cluster: worker ${entry.spec.index} could not be restarted: ${err.message}`),
      );
    });

    let cpuSeq = 0;
    const ready = first.ready;
    return {
      url: ready.url,
      awsUrl: ready.awsUrl,
      workers: [...workers.values()].map(({ worker, spec }) => ({ index: spec.index, pid: worker.process.pid!, components: spec.components })),
      stateMachineArns: ready.stateMachineArns,
      consumers: ready.consumers,
      schedules: ready.schedules,
      async cpuUsage() {
        const id = ++cpuSeq;
        const each = await Promise.all(
          [...workers.values()].map(
            ({ worker }) =>
              new Promise<NodeJS.CpuUsage>((resolve) => {
                const onMessage = (m: FromWorker) => {
                  if (m.op !== 'cpu' || m.id !== id) return;
                  worker.off('message', onMessage);
                  resolve(m.cpu);
                };
                worker.on('message', onMessage);
                worker.send({ op: 'cpu', id });
              }),
          ),
        );
        return each.reduce((a, c) => ({ user: a.user + c.user, system: a.system + c.system }), { user: 0, system: 0 });
      },
      stop: stopWorkers,
    };
  } catch (err) {
    await stopWorkers();
    throw err;
  }
}

/** Runs in each worker (cluster-worker.ts): the platform for this worker's spec, driven over IPC. */
export async function runWorker(): Promise<void> {
  const spec = JSON.parse(process.env.LOCAL_WORKER_SPEC ?? '{}') as WorkerSpec;
  startPauseTrace();
  const { startPlatform } = await import('./index');
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  try {
    platform = await startPlatform({
      port: spec.port,
      awsPort: spec.awsPort,
      ...(spec.host ? { host: spec.host } : {}),
      components: spec.components,
      ...(spec.scheduleIntervalMs !== undefined ? { scheduleIntervalMs: spec.scheduleIntervalMs } : {}),
      ...(spec.consumer ? { consumer: spec.consumer } : {}),
      ...(spec.stores ? { stores: spec.stores } : {}),
      resumeRunningExecutions: spec.resumeRunningExecutions,
    });
  } catch (err) {
    process.send!({ op: 'failed', error: (err as Error).stack ?? String(err) });
    process.exit(1);
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    ));
  process.on('message', (m: { op: string; id?: number }) => {
    if (m.op === 'cpu') process.send!({ op: 'cpu', id: m.id, cpu: process.cpuUsage() });
    if (m.op === 'stop') void stop();
  });
  // Ctrl-C reaches the whole process group: the primary decides, the workers wait for its 'stop'.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop()); // the primary is gone
  process.send!({
    op: 'ready',
    url: platform.url,
    awsUrl: platform.awsUrl,
    stateMachineArns: { ...platform.stateMachineArns },
    consumers: platform.consumers?.groups.map((g) => ({ handler: g.handler, topics: [...g.topics] })) ?? [],
    schedules: [...(platform.schedules?.handlers ?? [])],
  } satisfies Ready);
}
