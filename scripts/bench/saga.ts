/**
 * `npm run bench:saga`: N orders through the whole saga on the engines (HTTP gateway with JWT
 * authorizer -> PostgreSQL order + outbox -> Kafka order-created -> SagaStarter (MSK event) ->
 * the real statemachines/order-saga.asl.json -> inventory / payment / order tasks -> events on
 * Kafka and the EventBridge bus), and in the same run a pgbench-style single-row INSERT rate on the
 * same PostgreSQL, so the saga figures read as a ratio of what the database does alone.
 *
 * Phases:
 *  1. pg_tps: BENCH_PG_CLIENTS connections INSERT one row per transaction for BENCH_PG_SECONDS,
 *     and what one insert costs the machine's CPU (pg_tps_machine_cpu_ms_per_insert), so an order
 *     reads as a number of such inserts (order_cost_in_inserts; the aim pg_tps / 6 assumes 6);
 *     then the Kafka broker is warmed with single-message traffic (BENCH_KAFKA_WARMUP_SECONDS, 60),
 *     the platform starts and BENCH_WARMUP_ORDERS (3000) orders warm it up, not measured.
 *  2. throughput: BENCH_BURST_ORDERS orders posted closed-loop by BENCH_CONCURRENCY clients;
 *     orders_per_s = orders / (first POST -> last terminal commit); CPU ms per order of the platform
 *     (cpu_ms_per_order), of PostgreSQL and of Kafka (from /proc), and of the load generator.
 *     What an order asked of PostgreSQL, in counters that do not move with the host's speed:
 *     order_pg_wal_bytes, order_pg_tuple_writes, order_pg_buffer_accesses, order_pg_transactions,
 *     and order_wal_in_inserts (its WAL over one pg_tps insert's, pg_tps_wal_bytes_per_insert).
 *     The platform process's share in inserts (order_platform_cost_in_inserts), and the ratio to
 *     pg_tps / 6 the rest of the machine's CPU would allow if PostgreSQL's cost nothing
 *     (ratio_cap_if_postgres_were_free).
 *  3. latency: once the machine is quiet again (settle(): the burst leaves work behind it, e.g.
 *     PostgreSQL's autovacuum; rate_settle_s, rate_settle_cpu_ms), BENCH_ORDERS orders posted
 *     open-loop at BENCH_RATE orders/s; latency = from the POST
 *     to the commit of the order's terminal state (CONFIRMED / CANCELLED): p50_ms, p99_ms.
 *     rate_cpu_ms_per_order: platform / PostgreSQL / Kafka CPU per order in this phase (below
 *     capacity there is less to batch, so an order costs more than in the burst).
 *     Then the same at half the measured capacity (half_capacity_*), a load the machine sustains.
 *     rate_latency_parts_ms: where the time of the 100/s orders went (p50 / p99 of the Kafka hop from
 *     the order's commit to its execution's start, and of each Task state), from the executions' histories.
 *  0. (before the platform starts) direct_orders_per_s: the saga's own work without the local
 *     runtime, BENCH_DIRECT_SECONDS (10; 0 skips); see direct(). With it, what an order costs
 *     PostgreSQL: direct_pg_round_trips_per_order (client-side count) and
 *     direct_pg_transactions_per_order (pg_stat_database).
 * Stock is ~95% of the orders per SKU, so some orders are cancelled (out of stock) at the end of
 * each phase; `oversold` counts units confirmed beyond the initial stock (must be 0).
 *
 * Last line of stdout: one JSON object {orders, confirmed, cancelled, oversold, p50_ms, p99_ms,
 * orders_per_s, pg_tps, ...}; also written to bench-results/saga.json.
 */
import '../../local/polyfills';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { engineCpuMs, kafkaJvmFlags, machineCpuMs, machineTicks, postgresCpuByPid, processes, treeCpuMs } from './proc-cpu';
import { pct, round } from './stats';

const N = Number(process.env.BENCH_ORDERS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const BURST = Number(process.env.BENCH_BURST_ORDERS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const PG_CLIENTS = Number(process.env.BENCH_PG_CLIENTS ?? 8);
const PG_SECONDS = Number(process.env.BENCH_PG_SECONDS ?? 5);
const SKUS = Number(process.env.BENCH_SKUS ?? 10);
/** Before each rate phase: wait for the machine to be quiet (see settle()). */
const SETTLE_BUSY_CORES = Number(process.env.BENCH_SETTLE_BUSY_CORES ?? 0.3);
const SETTLE_MAX_S = Number(process.env.BENCH_SETTLE_MAX_S ?? 60);
const TRACE = process.env.BENCH_TRACE;
/** Where the platform's workers write their pauses when the bench is traced (LOCAL_PAUSE_TRACE). */
const pauseFile = (trace: string) => `${trace}.pauses.jsonl`;
/** Steal share of a rate phase above which its latency is flagged as the host's (BENCH_STEAL_WARN). */
const STEAL_WARN = Number(process.env.BENCH_STEAL_WARN ?? 0.05);
const say = (m: string) => process.stderr.write(`bench:saga: ${m}\n`);

/**
 * The load generator's POST: node:http on a keep-alive agent. It shares the machine with the
 * platform, so it should cost little; undici's fetch cost about 1.4 ms of CPU per order here.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function postJson(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: { orderId?: string } }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let parsed: { orderId?: string } = {};
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { orderId?: string };
        } catch {
          /* a non-JSON answer counts as a failed POST */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}


/**
 * What PostgreSQL was asked to do, from counters that do not move with the host's speed (unlike CPU
 * time): WAL bytes (the insert position, exact at once), and from pg_stat_database the tuples
 * written (inserted + updated + deleted), the buffer pages read (hit or not) and the transactions.
 * The statistics counters reach pg_stat_database at most once a second: `pgWorkDelta` waits that
 * long before its second read.
 */
type PgWork = { wal: bigint; tuples: number; buffers: number; xacts: number };
async function pgWork(q: Client | Pool): Promise<PgWork> {
  const r = await q.query<{ wal: string; tuples: string; buffers: string; xacts: string }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal, tup_inserted + tup_updated + tup_deleted AS tuples,
            blks_hit + blks_read AS buffers, xact_commit + xact_rollback AS xacts
     FROM pg_stat_database WHERE datname = current_database()`,
  );
  const x = r.rows[0]!;
  return { wal: BigInt(x.wal), tuples: Number(x.tuples), buffers: Number(x.buffers), xacts: Number(x.xacts) };
}
async function pgWorkDelta(q: Client | Pool, from: PgWork, per: number): Promise<{ walBytes: number; tuples: number; buffers: number; xacts: number }> {
  const wal = (await pgWork(q)).wal; // exact now
  await new Promise((r) => setTimeout(r, 1100));
  const to = await pgWork(q);
  const n = Math.max(1, per);
  return { walBytes: Number(wal - from.wal) / n, tuples: (to.tuples - from.tuples) / n, buffers: (to.buffers - from.buffers) / n, xacts: (to.xacts - from.xacts) / n };
}

/**
 * The pgbench-style reference: PG_CLIENTS connections INSERT one row per transaction for
 * PG_SECONDS. Besides the rate, what one such insert costs: the machine's CPU (every process: the
 * clients, PostgreSQL, the kernel) and PostgreSQL's alone, so an order's cost reads as a number of
 * these inserts (the aim "pg_tps / 6" assumes an order costs about 6).
 */
async function pgTps(pgUrl: string): Promise<{ tps: number; machineCpuMsPerInsert: number | null; postgresCpuMsPerInsert: number | null; workPerInsert: Awaited<ReturnType<typeof pgWorkDelta>> }> {
  const admin = new Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query('DROP TABLE IF EXISTS bench_pg_tps; CREATE UNLOGGED TABLE IF NOT EXISTS bench_pg_tps_dummy (x int); DROP TABLE bench_pg_tps_dummy; CREATE TABLE bench_pg_tps (id bigserial PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  const clients = await Promise.all(Array.from({ length: PG_CLIENTS }, async () => {
    const c = new Client({ connectionString: pgUrl });
    await c.connect();
    return c;
  }));
  let n = 0;
  const until = Date.now() + PG_SECONDS * 1000;
  const m0 = machineTicks();
  const e0 = engineCpuMs();
  const w0 = await pgWork(admin);
  const t0 = Date.now();
  await Promise.all(clients.map(async (c) => {
    while (Date.now() < until) {
      await c.query('INSERT INTO bench_pg_tps (v) VALUES ($1)', [randomUUID()]);
      n++;
    }
  }));
  const tps = n / ((Date.now() - t0) / 1000);
  const m1 = machineTicks();
  const e1 = engineCpuMs();
  await Promise.all(clients.map((c) => c.end()));
  const workPerInsert = await pgWorkDelta(admin, w0, n);
  await admin.query('DROP TABLE bench_pg_tps');
  await admin.end();
  return {
    tps,
    machineCpuMsPerInsert: m0 && m1 ? (machineCpuMs(m0, m1)) / Math.max(1, n) : null,
    postgresCpuMsPerInsert: e0 && e1 ? (e1.postgres - e0.postgres) / Math.max(1, n) : null,
    workPerInsert,
  };
}


/**
 * Warms the Kafka broker's JIT before the saga warm-up: a freshly started broker spent 1.5 ms of CPU
 * per produced-and-fetched message in its first 40 s and 0.85 ms once warm (measured here with
 * 200 single-message sends/s), and in the bench's rate phase, a minute after start, it still used
 * 3.2 ms per order against 1.2 in the burst. Single-message sends with acks=all from an idempotent
 * producer (as the platform's) and a consumer group (as the saga starter's), as fast as 32 loops go,
 * for BENCH_KAFKA_WARMUP_SECONDS (60; 0 skips). The topic is deleted afterwards.
 */
async function warmKafka(brokers: readonly string[], run: string): Promise<number> {
  const seconds = Number(process.env.BENCH_KAFKA_WARMUP_SECONDS ?? 60);
  if (!(seconds > 0)) return 0;
  const { kafkaClient } = await import('../../local/runtime');
  const k = kafkaClient(brokers, `bench-warmup-${run}`);
  const topic = `bench-warmup-${run}`;
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  const producer = k.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const consumer = k.consumer({ groupId: topic, maxWaitTimeInMs: 500 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ partitionsConsumedConcurrently: 6, eachBatch: async () => undefined });
  let sent = 0;
  const until = Date.now() + seconds * 1000;
  const value = 'x'.repeat(600); // about an order event's size
  await Promise.all(Array.from({ length: 32 }, async (_, i) => {
    while (Date.now() < until) await producer.send({ topic, acks: -1, messages: [{ key: `k${i}-${sent++}`, value }] });
  }));
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.deleteGroups([topic]).catch(() => undefined);
  await admin.disconnect();
  return sent;
}

async function main(): Promise<void> {
  // Like the integration tests: with no engine running, the bench runs its own on `.engines/bench`
  // (stopped at the end), so its thousands of orders never land in the data `npm start` replays.
  const { anyEngineRunning } = await import('../../local/engines/endpoints');
  const ownEngines = !process.env.ENGINES_STATE_DIR && !(await anyEngineRunning(['postgres', 'kafka']));
  if (ownEngines) process.env.ENGINES_STATE_DIR = join(__dirname, '../../.engines/bench');
  else say('!!! reusing the running engines: the bench orders stay in their data (order-created, orders) !!!');
  const { acquireLease, releaseLease, startEngines } = await import('../../local/engines');
  await acquireLease();
  const eps = (await startEngines({ only: ['postgres', 'kafka'], ephemeral: ownEngines, log: say })).endpoints;
  const releaseEngines = () => releaseLease({ log: say }).catch(() => []);
  process.env.PG_URL ??= eps.pgUrl;
  process.env.KAFKA_BROKERS ??= eps.kafkaBrokers.join(',');
  const { runMigrations } = await import('../../functions/platform/migrations');
  await runMigrations({ databaseUrl: eps.pgUrl });

  say(`pg_tps: ${PG_CLIENTS} clients x ${PG_SECONDS} s single-row INSERTs`);
  const ref = await pgTps(eps.pgUrl);
  const pg_tps = ref.tps;
  say(`pg_tps = ${pg_tps.toFixed(0)} (an insert cost the machine ${ref.machineCpuMsPerInsert?.toFixed(3)} ms of CPU, PostgreSQL ${ref.postgresCpuMsPerInsert?.toFixed(3)} ms)`);

  const { kafkaClient } = await import('../../local/runtime');
  const run = `${Date.now().toString(36)}`;
  say('kafka warm-up: single-message sends and fetches, to get the broker past its JIT warm-up');
  say(`kafka warm-up: ${await warmKafka(eps.kafkaBrokers, run)} messages`);
  const { signToken } = await import('../../functions/shared/auth');
  const groupSuffix = `-bench-${run}`;

  // The direct baseline (see direct()): before the platform starts and before its consumer group is
  // placed at the end of order-created, so the platform never sees these orders.
  let directResult: Awaited<ReturnType<typeof directBaseline>> | undefined;
  if (Number(process.env.BENCH_DIRECT_SECONDS ?? 10) > 0) {
    const { createTopics } = await import('../../local/runtime');
    const { manifest } = await import('../../lib/manifest');
    await createTopics(manifest, eps.kafkaBrokers);
    const skus = Array.from({ length: SKUS }, (_, i) => `BENCH-${run}-direct-${i}`);
    const c = new Client({ connectionString: eps.pgUrl });
    await c.connect();
    await c.query('INSERT INTO inventory (sku, price_cents, stock) SELECT s, 1999, 1000000 FROM unnest($1::text[]) s', [skus]);
    await c.end();
    say(`direct baseline: the order use case and the task handlers, ${CONCURRENCY} orders at a time, no runtime`);
    directResult = await directBaseline(run, skus);
    say(`direct baseline: ${(directResult.orders / directResult.seconds).toFixed(1)} orders/s, ${directResult.cpuMsPerOrder.toFixed(1)} ms CPU per order (the machine ${directResult.machineCpuMsPerOrder?.toFixed(1)} ms), ${directResult.roundTripsPerOrder.toFixed(1)} PostgreSQL round trips and ${directResult.transactionsPerOrder.toFixed(1)} transactions per order (${directResult.failed} failed)`);
  }

  // The bench's consumer group starts at the end of order-created: it runs only its own orders.
  const kadmin = kafkaClient(eps.kafkaBrokers, `bench-admin-${run}`).admin();
  await kadmin.connect();
  const offsets = await kadmin.fetchTopicOffsets('order-created').catch(() => []);
  if (offsets.length) await kadmin.setOffsets({ groupId: `saga-starter${groupSuffix}`, topic: 'order-created', partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
  await kadmin.disconnect();

  // The platform runs in its own process (the load generator must not share its event loop).
  const { DEV_JWT_SECRET } = await import('../../local/runtime/env');
  if (!process.env.JWT_SECRET && !process.env.JWT_SECRET_ARN) process.env.JWT_SECRET = DEV_JWT_SECRET;
  const server = await startServer(groupSuffix);
  process.on('exit', () => server.kill());
  const db = new Pool({ connectionString: eps.pgUrl, max: 4 });

  // Terminal = the order's CONFIRMED/CANCELLED commit (orders.updated_at), read by a poller: it does
  // not matter which runtime process ran the saga (another `npm start` on the same Kafka may).
  // Times are epoch ms (Date.now() and the database clock of the same machine).
  const terminal = new Map<string, { at: number; status: string }>();
  const waiters = new Map<string, () => void>();
  const outstanding = new Set<string>();
  let polling = true;
  const record = (rows: Array<{ id: string; status: string; at: Date }>) => {
    for (const row of rows) {
      if (!outstanding.delete(row.id)) continue;
      terminal.set(row.id, { at: row.at.getTime(), status: row.status });
      waiters.get(row.id)?.();
      waiters.delete(row.id);
    }
  };
  const poller = (async () => {
    // Cheap for this process and for PostgreSQL: the outstanding orders by primary key (a scan of
    // \`orders\` by updated_at every 50 ms cost PostgreSQL more than some saga steps did).
    while (polling) {
      if (outstanding.size > 0) {
        const ids = [...outstanding].slice(0, 2000);
        record((await db.query<{ id: string; status: string; at: Date }>(`SELECT id, status, updated_at AS at FROM orders WHERE id = ANY($1::uuid[]) AND status IN ('CONFIRMED', 'CANCELLED')`, [ids])).rows);
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => signToken({ userId: `bench-${run}-${i}`, roles: ['customer'] })));

  async function seed(phase: string, orders: number): Promise<string[]> {
    const skus = Array.from({ length: SKUS }, (_, i) => `BENCH-${run}-${phase}-${i}`);
    const stock = Math.floor((orders * 0.95) / SKUS);
    await db.query('INSERT INTO inventory (sku, price_cents, stock) SELECT s, 1999, $2 FROM unnest($1::text[]) s', [skus, stock]);
    return skus;
  }

  const postLatency: number[] = [];
  let failedPosts = 0;
  async function placeOne(i: number, skus: string[]): Promise<{ orderId: string; t0: number } | undefined> {
    const t0 = Date.now();
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens[i % tokens.length]}`, 'idempotency-key': `${run}-${i}-${randomUUID()}` };
    const payload = JSON.stringify({ items: [{ sku: skus[i % skus.length], quantity: 1 }], paymentToken: '4242424242424242' });
    const post = () => postJson(`${server.url}/orders`, headers, payload);
    // A keep-alive socket the server closes just as it is reused fails with ECONNRESET before the
    // request reached the handler; like any client of an idempotent API, retry once with the same
    // Idempotency-Key (at most the same order comes back).
    const res = await post()
      .catch(() => post())
      .catch((err: Error) => ({ status: 0, body: { error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` } as { orderId?: string; error?: unknown } }));
    const body = res.body as { orderId?: string; error?: unknown };
    postLatency.push(Date.now() - t0);
    if (res.status !== 202 || !body.orderId) {
      if (failedPosts++ < 5) say(`POST /orders failed: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      return undefined;
    }
    outstanding.add(body.orderId);
    return { orderId: body.orderId, t0 };
  }
  const terminalOf = (orderId: string) =>
    terminal.has(orderId) ? Promise.resolve() : new Promise<void>((r) => waiters.set(orderId, r));

  async function check(skus: string[], ids: string[], initialPerSku: number) {
    const st = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM orders WHERE id = ANY($1::uuid[]) GROUP BY status', [ids]);
    const by = Object.fromEntries(st.rows.map((r) => [r.status, Number(r.n)]));
    const sold = await db.query<{ sku: string; stock: number; confirmed: string }>(
      `SELECT i.sku, i.stock, (SELECT coalesce(sum(oi.quantity), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE oi.sku = i.sku AND o.status = 'CONFIRMED') AS confirmed
       FROM inventory i WHERE i.sku = ANY($1::text[])`,
      [skus],
    );
    const oversold = sold.rows.reduce((n, r) => n + Math.max(0, Number(r.confirmed) - initialPerSku) + Math.max(0, -r.stock), 0);
    return { confirmed: by['CONFIRMED'] ?? 0, cancelled: by['CANCELLED'] ?? 0, pending: (by['PENDING'] ?? 0) + (by['CONFIRMING'] ?? 0), oversold };
  }

  // Warm-up (BENCH_WARMUP_ORDERS, closed loop by 16 clients, ~20 s): connections, producers, the
  // consumer fetch loop, and the JIT compilers of Node and of the Kafka broker, so the phases below
  // measure the steady state and not the first seconds of freshly started engines. Measured on fresh
  // engines: 400 warm-up orders gave 124-135 orders/s, 3000 gave 150 (the broker's C1/C2 compiler
  // threads were still using ~0.1 of a core after 400).
  const WARMUP = Number(process.env.BENCH_WARMUP_ORDERS ?? 3000);
  const warm = await seed('warm', WARMUP);
  let nextWarm = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (nextWarm < WARMUP) {
      const x = await placeOne(nextWarm++, warm);
      if (x) await terminalOf(x.orderId);
    }
  }));
  postLatency.length = 0;
  failedPosts = 0;

  /** CPU used so far by the platform (its workers) and by the engines; two of them make a window. */
  const cpuSnapshot = async () => ({ platform: await server.cpu(), engines: engineCpuMs() });
  type CpuSnapshot = Awaited<ReturnType<typeof cpuSnapshot>>;
  /** CPU ms per order between two snapshots (engines: null off Linux). */
  function cpuPerOrder(a: CpuSnapshot, b: CpuSnapshot, orders: number) {
    const per = (ms: number) => round(ms / Math.max(1, orders), 2);
    const e0 = a.engines;
    const e1 = b.engines;
    return {
      platform: per((b.platform.user + b.platform.system - a.platform.user - a.platform.system) / 1000),
      postgres: e0 && e1 ? per(e1.postgres - e0.postgres) : null,
      kafka: e0 && e1 ? per(e1.kafka - e0.kafka) : null,
      // the kernel's part of the engines' CPU (file and socket work)
      postgresSysShare: e0 && e1 ? round((e1.postgresSys - e0.postgresSys) / Math.max(1, e1.postgres - e0.postgres), 2) : null,
      kafkaSysShare: e0 && e1 ? round((e1.kafkaSys - e0.kafkaSys) / Math.max(1, e1.kafka - e0.kafka), 2) : null,
    };
  }

  /**
   * BENCH_TRACE=file: during each rate phase, every 100 ms, what the machine did (busy and stolen
   * cores; PostgreSQL's, Kafka's and this load generator's CPU; the platform is the rest) and which
   * autovacuum workers ran, with every order's start and latency, written to the file at the end:
   * to see what the slow orders' windows coincide with.
   */
  const traced: unknown[] = [];
  function startTrace() {
    const samples: Array<Record<string, unknown>> = [];
    // one read of /proc per sample serves every reader
    const reading = () => {
      const procs = processes();
      return { m: machineTicks(), e: engineCpuMs(procs), d: process.cpuUsage(), pg: postgresCpuByPid(procs), node: treeCpuMs(server.pid, procs) };
    };
    let prev = reading();
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const now = reading();
      const at = Date.now();
      // PostgreSQL processes that used 20 ms or more of this 100 ms, named by pg_stat_activity
      // (backend type, application, what it runs now): which backend a PostgreSQL spike belongs to.
      const hot = [...now.pg].map(([pid, ms]) => ({ pid, ms: ms - (prev.pg.get(pid) ?? ms) })).filter((x) => x.ms >= 20);
      void db
        .query<{ conns: number; fresh: number; backends: Array<{ pid: number; who: string }> | null }>(
          `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS conns,
                  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND backend_start > now() - interval '100 ms')::int AS fresh,
                  (SELECT json_agg(json_build_object('pid', pid, 'who', concat_ws(' ', backend_type, nullif(application_name, ''), state, left(regexp_replace(query, '\\s+', ' ', 'g'), 70))))
                   FROM pg_stat_activity WHERE pid = ANY($1::int[]) OR backend_type = 'autovacuum worker') AS backends`,
          [hot.map((x) => x.pid)],
        )
        .then((r) => r.rows[0], () => undefined)
        .then((row) => {
          const backends = row?.backends ?? [];
          const who = new Map(backends.map((x) => [x.pid, x.who]));
          if (prev.m && now.m && prev.e && now.e) {
            const ms = (now.m.total - prev.m.total) * 10;
            samples.push({
              t: at,
              busy: round(((now.m.busy - prev.m.busy) * 10) / Math.max(1, ms / availableParallelism()), 2),
              steal: round(((now.m.steal - prev.m.steal) * 10) / Math.max(1, ms / availableParallelism()), 2),
              pgMs: round(now.e.postgres - prev.e.postgres, 0),
              kafkaMs: round(now.e.kafka - prev.e.kafka, 0),
              driverMs: round((now.d.user + now.d.system - prev.d.user - prev.d.system) / 1000, 0),
              // the platform's: the serving process and its workers
              platformMs: round(now.node - prev.node, 0),
              // PostgreSQL client connections, and how many of them began in the last 100 ms
              conns: row?.conns,
              fresh: row?.fresh,
              av: backends.filter((x) => x.who.startsWith('autovacuum')).map((x) => x.who).join(' | ') || null,
              pgHot: hot.length ? hot.map((x) => ({ ms: x.ms, who: who.get(x.pid) ?? `pid ${x.pid} (not a backend: checkpointer, walwriter, ...)` })) : undefined,
            });
          }
          prev = now;
          busy = false;
        });
    }, 100);
    return {
      async stop() {
        clearInterval(timer);
        return samples;
      },
    };
  }

  /**
   * Waits until the machine is quiet (under SETTLE_BUSY_CORES busy for two 500 ms samples in a row,
   * at most SETTLE_MAX_S) and returns what the wait saw: a saturating phase leaves work behind it
   * (PostgreSQL's autovacuum of the rows it churned, Kafka's log and JIT, the platform's GC and
   * relay), and a rate phase started right after it measured that work as saga latency: the slow
   * windows came in the 4-5 s after the burst (stop 11). BENCH_SETTLE=0 starts at once, as before.
   */
  async function settle(tag: string): Promise<{ seconds: number; busyCores: number; cpuMs: { platform: number; postgres: number | null; kafka: number | null } } | null> {
    if (process.env.BENCH_SETTLE === '0') return null;
    const t0 = Date.now();
    const c0 = await cpuSnapshot();
    let quiet = 0;
    let busy = NaN;
    let prev = machineTicks();
    while (Date.now() - t0 < SETTLE_MAX_S * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      const now = machineTicks();
      if (!prev || !now) break;
      busy = ((now.busy - prev.busy) / Math.max(1, now.total - prev.total)) * availableParallelism();
      prev = now;
      quiet = busy < SETTLE_BUSY_CORES ? quiet + 1 : 0;
      if (quiet >= 2) break;
    }
    const c1 = await cpuSnapshot();
    const ms = (a: number, b: number) => round(b - a, 0);
    const out = {
      seconds: round((Date.now() - t0) / 1000, 1),
      busyCores: round(busy, 2),
      cpuMs: {
        platform: ms((c0.platform.user + c0.platform.system) / 1000, (c1.platform.user + c1.platform.system) / 1000),
        postgres: c0.engines && c1.engines ? ms(c0.engines.postgres, c1.engines.postgres) : null,
        kafka: c0.engines && c1.engines ? ms(c0.engines.kafka, c1.engines.kafka) : null,
      },
    };
    say(`${tag}: settled in ${out.seconds} s (machine ${out.busyCores} cores busy at the end; CPU used while settling, ms: ${JSON.stringify(out.cpuMs)})`);
    return out;
  }

  async function openLoop(tag: string, orders: number, rate: number, offset: number) {
    const skus = await seed(tag, orders);
    const settled = await settle(tag);
    say(`${tag}: ${orders} orders at ${rate} orders/s`);
    const placed: Array<{ orderId: string; t0: number }> = [];
    const inflight: Array<Promise<void>> = [];
    postLatency.length = 0;
    const trace = TRACE ? startTrace() : undefined;
    const ticksStart = machineTicks();
    const cpuStart = await cpuSnapshot();
    const start = performance.now();
    for (let i = 0; i < orders; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(placeOne(offset + i, skus).then((x) => void (x && placed.push(x))));
    }
    await Promise.all(inflight);
    await Promise.race([Promise.all(placed.map((x) => terminalOf(x.orderId))), new Promise((r) => setTimeout(r, 120_000).unref())]);
    // CPU per order at this rate: below capacity there is less to batch, so it costs more than in the burst
    const { platform, postgres, kafka } = cpuPerOrder(cpuStart, await cpuSnapshot(), placed.length);
    const cpu = { platform, postgres, kafka };
    // Time the hypervisor took from this VM during the phase: latency moves with it (a run with 0.3-0.9 of a core stolen gave a p99 of 857 ms).
    const ticksEnd = machineTicks();
    const steal = ticksStart && ticksEnd ? round((ticksEnd.steal - ticksStart.steal) / Math.max(1, ticksEnd.total - ticksStart.total), 3) : null;
    const lat = placed.filter((x) => terminal.has(x.orderId)).map((x) => terminal.get(x.orderId)!.at - x.t0).sort((a, b) => a - b);
    const post = [...postLatency].sort((a, b) => a - b);
    if (trace) traced.push({ tag, rate, samples: await trace.stop(), orders: placed.filter((x) => terminal.has(x.orderId)).map((x) => ({ t0: x.t0, ms: terminal.get(x.orderId)!.at - x.t0 })) });
    const res = await check(skus, placed.map((x) => x.orderId), Math.floor((orders * 0.95) / SKUS));
    say(`${tag}: p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, POST p99 ${pct(post, 99).toFixed(1)} ms; CPU ms per order ${JSON.stringify(cpu)}; steal ${steal}; ${JSON.stringify(res)}`);
    return { placed, lat, post, res, cpu, settled, steal };
  }

  /**
   * Where an order's time goes, from the executions' histories (the runtime keeps them in
   * local_runtime.sfn_executions, written when an execution ends): `kafka_hop` = the order's commit
   * to its execution's start (order-created through Kafka, the SagaStarter, StartExecution), then
   * each Task state from entered to exited; p50 / p99 over the orders given. Waits up to 10 s for
   * the executions to end (the Publish step runs after the order's terminal commit).
   */
  async function latencyParts(orderIds: string[]): Promise<Record<string, { p50: number; p99: number; n: number }>> {
    const ended = async () =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM local_runtime.sfn_executions WHERE name = ANY($1::text[]) AND stop_date IS NOT NULL', [orderIds])).rows[0]!.n);
    const until = Date.now() + 10_000;
    while ((await ended()) < orderIds.length && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    const r = await db.query<{ part: string; n: string; p50: number; p99: number }>(
      `WITH e AS (
         SELECT o.id, o.created_at, x.start_date, x.history FROM orders o JOIN local_runtime.sfn_executions x ON x.name = o.id::text
         WHERE o.id = ANY($1::uuid[]) AND x.stop_date IS NOT NULL),
       h AS (SELECT e.id, (s->>'id')::int AS seq, s->>'stateName' AS state, s->>'stateType' AS type, s->>'type' AS ev, (s->>'timestamp')::timestamptz AS ts FROM e, jsonb_array_elements(e.history) s),
       parts AS (
         SELECT 'kafka_hop' AS part, 0 AS seq, extract(epoch FROM start_date - created_at) * 1000 AS ms FROM e
         UNION ALL
         SELECT a.state, a.seq, extract(epoch FROM b.ts - a.ts) * 1000 FROM h a JOIN h b ON a.id = b.id AND a.state = b.state AND a.ev = 'StateEntered' AND b.ev = 'StateExited' AND a.type = 'Task')
       SELECT part, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM parts GROUP BY part ORDER BY avg(seq)`,
      [orderIds],
    );
    return Object.fromEntries(r.rows.map((x) => [x.part, { p50: round(x.p50, 1), p99: round(x.p99, 1), n: Number(x.n) }]));
  }

  // Phase 2: closed loop, CONCURRENCY clients: capacity and CPU cost per order.
  say(`throughput: ${BURST} orders by ${CONCURRENCY} concurrent clients`);
  const skusB = await seed('burst', BURST);
  const placedB: Array<{ orderId: string; t0: number }> = [];
  let next = 0;
  const w0 = await pgWork(db);
  const cpu0 = await cpuSnapshot();
  const driver0 = process.cpuUsage();
  const m0 = machineTicks();
  const tB = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < BURST) {
      const i = next++;
      const x = await placeOne(i, skusB);
      if (x) placedB.push(x);
    }
  }));
  await Promise.race([Promise.all(placedB.map((x) => terminalOf(x.orderId))), new Promise((r) => setTimeout(r, 120_000).unref())]);
  const lastB = Math.max(...placedB.map((x) => terminal.get(x.orderId)?.at ?? Date.now()));
  const wallB = (lastB - tB) / 1000;
  const cpu1 = await cpuSnapshot();
  const driver1 = process.cpuUsage(driver0);
  const m1 = machineTicks();
  const burstCpu = cpuPerOrder(cpu0, cpu1, placedB.length);
  // What each order asked of PostgreSQL (host-independent; includes the Publish steps finishing meanwhile).
  const burstWork = await pgWorkDelta(db, w0, placedB.length);
  // Cores busy on the whole machine during the burst (platform + PostgreSQL + Kafka + this load generator).
  const machineBusyCores = m0 && m1 ? ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * availableParallelism() : NaN;
  // What an order cost the whole machine (platform, PostgreSQL, Kafka, kernel, this load generator).
  const machineCpuMsPerOrder = m0 && m1 ? machineCpuMs(m0, m1) / Math.max(1, placedB.length) : null;
  const cpuMsPerOrder = burstCpu.platform;
  const cpuShare = (cpuMsPerOrder * Math.max(1, placedB.length)) / 1000 / wallB;
  const orders_per_s = placedB.length / wallB;
  const latB = placedB.filter((x) => terminal.has(x.orderId)).map((x) => terminal.get(x.orderId)!.at - x.t0).sort((a, b) => a - b);
  const resB = await check(skusB, placedB.map((x) => x.orderId), Math.floor((BURST * 0.95) / SKUS));
  say(`throughput: ${orders_per_s.toFixed(1)} orders/s, ${cpuMsPerOrder.toFixed(1)} ms CPU per order (the platform's ${server.workers} worker(s) used ${(cpuShare * 100).toFixed(0)}% of a core; the whole machine ${machineBusyCores.toFixed(2)} of ${availableParallelism()} cores), p99 ${pct(latB, 99).toFixed(1)} ms; ${JSON.stringify(resB)}`);

  // Phase 3: open loop at the target rate (p50_ms / p99_ms), then at half the measured capacity.
  const A = await openLoop('rate', N, RATE, BURST);
  const parts = await latencyParts(A.placed.map((x) => x.orderId));
  say(`rate: where the time goes (p50 / p99 ms): ${Object.entries(parts).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join(', ')}`);
  const sustainable = Math.max(1, Math.min(RATE, Math.floor(orders_per_s / 2)));
  const S = await openLoop('half-capacity', Math.min(N, sustainable * 10), sustainable, BURST + N);

  if (TRACE) {
    // The platform workers' GC pauses and event-loop stalls (local/runtime/pause-trace.ts), each phase's share.
    const pauses = existsSync(pauseFile(TRACE)) ? readFileSync(pauseFile(TRACE), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: number }) : [];
    for (const ph of traced as Array<{ samples: Array<{ t: number }>; pauses?: unknown[] }>) {
      const from = (ph.samples[0]?.t ?? 0) - 200;
      const to = (ph.samples.at(-1)?.t ?? 0) + 200;
      ph.pauses = pauses.filter((p) => p.t >= from && p.t <= to);
    }
    writeFileSync(TRACE, JSON.stringify(traced));
  }
  polling = false;
  await poller;
  await server.stop();
  agent.destroy();
  await db.end();
  const kafkaFlags = kafkaJvmFlags(); // read while the broker still runs
  await releaseEngines();

  // app modules load after the env above is set (as the other imports in this file)
  const { idleTimeoutMs } = await import('../../functions/shared/adapters/pg');
  const { oneRoundTripEnabled } = await import('../../functions/shared/idempotency');
  const result = {
    orders: A.placed.length + placedB.length + S.placed.length,
    confirmed: A.res.confirmed + resB.confirmed + S.res.confirmed,
    cancelled: A.res.cancelled + resB.cancelled + S.res.cancelled,
    oversold: A.res.oversold + resB.oversold + S.res.oversold,
    p50_ms: round(pct(A.lat, 50)),
    p99_ms: round(pct(A.lat, 99)),
    orders_per_s: round(orders_per_s),
    pg_tps: round(pg_tps, 0),
    rate_target: RATE,
    post_p99_ms: round(pct(A.post, 99)),
    rate_cpu_ms_per_order: A.cpu,
    rate_latency_parts_ms: parts,
    // The wait before the 100/s phase for the burst's after-work to end (null: BENCH_SETTLE=0), and the CPU that work used.
    rate_steal_share: A.steal,
    half_capacity_steal_share: S.steal,
    rate_settle_s: A.settled?.seconds ?? null,
    rate_settle_cpu_ms: A.settled?.cpuMs ?? null,
    half_capacity_rate: sustainable,
    half_capacity_p50_ms: round(pct(S.lat, 50)),
    half_capacity_p99_ms: round(pct(S.lat, 99)),
    burst_p50_ms: round(pct(latB, 50)),
    burst_p99_ms: round(pct(latB, 99)),
    burst_concurrency: CONCURRENCY,
    cpu_ms_per_order: round(cpuMsPerOrder),
    cpu_share_of_one_core: round(cpuShare, 2),
    load_generator_cpu_ms_per_order: round((driver1.user + driver1.system) / 1000 / Math.max(1, placedB.length), 2),
    postgres_cpu_ms_per_order: burstCpu.postgres,
    kafka_cpu_ms_per_order: burstCpu.kafka,
    postgres_cpu_sys_share: burstCpu.postgresSysShare,
    kafka_cpu_sys_share: burstCpu.kafkaSysShare,
    workers: server.workers,
    machine_busy_cores: round(machineBusyCores, 2),
    // Share of CPU time the hypervisor took from this VM during the burst: on a shared host the
    // figures move with it (runs on the same code differed by 1.5x on capacity on such a machine).
    machine_steal_share: m0 && m1 ? round((m1.steal - m0.steal) / Math.max(1, m1.total - m0.total), 3) : null,
    machine_cores: availableParallelism(),
    load_avg_1m: round(loadavg()[0] ?? 0, 1),
    not_terminal: A.res.pending + resB.pending + S.res.pending,
    failed_posts: failedPosts,
    orders_per_s_vs_pg_tps_over_6: round(orders_per_s / (pg_tps / 6), 3),
    // The same comparison in CPU: an order's cost as a number of the reference's single-row inserts
    // (what the whole machine spent per order in the burst over what it spent per insert in pg_tps).
    // pg_tps / 6 assumes 6; while both are CPU-bound, orders_per_s / (pg_tps / 6) ~ 6 / this.
    pg_tps_machine_cpu_ms_per_insert: ref.machineCpuMsPerInsert === null ? null : round(ref.machineCpuMsPerInsert, 4),
    pg_tps_postgres_cpu_ms_per_insert: ref.postgresCpuMsPerInsert === null ? null : round(ref.postgresCpuMsPerInsert, 4),
    machine_cpu_ms_per_order: machineCpuMsPerOrder === null ? null : round(machineCpuMsPerOrder, 2),
    order_cost_in_inserts: machineCpuMsPerOrder !== null && ref.machineCpuMsPerInsert ? round(machineCpuMsPerOrder / ref.machineCpuMsPerInsert, 1) : null,
    order_postgres_cost_in_inserts: burstCpu.postgres !== null && ref.postgresCpuMsPerInsert ? round(burstCpu.postgres / ref.postgresCpuMsPerInsert, 1) : null,
    // The platform process alone (gateway, handlers, ASL interpreter, Kafka clients), in the same inserts,
    // and the ratio the run could reach if PostgreSQL's own CPU per order were zero (what the rest of the
    // machine's CPU per order allows: 6 / (order cost - PostgreSQL's share of it)).
    order_platform_cost_in_inserts: ref.machineCpuMsPerInsert ? round(cpuMsPerOrder / ref.machineCpuMsPerInsert, 1) : null,
    ratio_cap_if_postgres_were_free:
      machineCpuMsPerOrder !== null && burstCpu.postgres !== null && ref.machineCpuMsPerInsert && machineCpuMsPerOrder > burstCpu.postgres
        ? round(6 / ((machineCpuMsPerOrder - burstCpu.postgres) / ref.machineCpuMsPerInsert), 3)
        : null,
    // The same in work PostgreSQL was asked to do, which does not move with the host: per order in
    // the burst, and an order's WAL over one reference insert's.
    order_pg_wal_bytes: round(burstWork.walBytes, 0),
    order_pg_tuple_writes: round(burstWork.tuples, 1),
    order_pg_buffer_accesses: round(burstWork.buffers, 0),
    order_pg_transactions: round(burstWork.xacts, 1),
    pg_tps_wal_bytes_per_insert: round(ref.workPerInsert.walBytes, 0),
    order_wal_in_inserts: ref.workPerInsert.walBytes > 0 ? round(burstWork.walBytes / ref.workPerInsert.walBytes, 1) : null,
    direct_orders_per_s: directResult ? round(directResult.orders / directResult.seconds) : null,
    direct_cpu_ms_per_order: directResult ? round(directResult.cpuMsPerOrder, 2) : null,
    direct_pg_round_trips_per_order: directResult ? round(directResult.roundTripsPerOrder, 1) : null,
    direct_pg_transactions_per_order: directResult ? round(directResult.transactionsPerOrder, 1) : null,
    orders_per_s_vs_direct: directResult ? round(orders_per_s / (directResult.orders / directResult.seconds), 2) : null,
    direct_machine_cpu_ms_per_order: directResult?.machineCpuMsPerOrder == null ? null : round(directResult.machineCpuMsPerOrder, 2),
    direct_order_cost_in_inserts: directResult?.machineCpuMsPerOrder != null && ref.machineCpuMsPerInsert ? round(directResult.machineCpuMsPerOrder / ref.machineCpuMsPerInsert, 1) : null,
    direct_order_postgres_cost_in_inserts: directResult?.postgresCpuMsPerOrder != null && ref.postgresCpuMsPerInsert ? round(directResult.postgresCpuMsPerOrder / ref.postgresCpuMsPerInsert, 1) : null,
    // what an A/B run varies, so a result says what it measured
    settings: {
      pg_idle_timeout_ms: idleTimeoutMs(),
      saga_step_one_round_trip: oneRoundTripEnabled(),
      kafka_jvm_flags: kafkaFlags?.join(' ') ?? null,
    },
    at: new Date().toISOString(),
  };
  const dir = join(__dirname, '../../bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'saga.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result));
  // A rate phase during which the host took more than 5% of the CPU time measured the host, not the
  // code (one traced run lost 0.3-0.9 of a core throughout and gave a p99 of 857 ms): say so loudly.
  for (const [phase, steal] of [['100/s', A.steal], ['half-capacity', S.steal]] as const) {
    if (steal !== null && steal > STEAL_WARN) say(`!!! the ${phase} phase lost ${(steal * 100).toFixed(1)}% of the CPU time to the hypervisor (steal): its latency says more about the host than about the code; run it again !!!`);
  }
  if (result.oversold > 0 || result.not_terminal > 0) process.exitCode = 1;
}

/**
 * Child process: the local platform as `npm start` runs it (local/runtime/cluster.ts: one worker
 * process per core, each with gateway, consumers, Step Functions runner and handlers; executions in
 * PostgreSQL), with the bench's own consumer groups. BENCH_WORKERS overrides the worker count.
 */
async function serve(): Promise<void> {
  const { startCluster, workerCount } = await import('../../local/runtime/cluster');
  const workers = process.env.BENCH_WORKERS ? Number(process.env.BENCH_WORKERS) : workerCount();
  const c = await startCluster({
    workers,
    port: 0,
    awsPort: 0,
    scheduleIntervalMs: 2000,
    consumer: { groupIdSuffix: process.env.BENCH_GROUP_SUFFIX ?? '', fromBeginning: false },
    // The engines this bench starts: the catalog's consumer and relay (DocumentDB, OpenSearch) stay off.
    stores: ['postgres', 'kafka-producer', 'eventbus', 'saga', 'saga-describe'],
    resumeRunningExecutions: false, // only its own orders
    log: (m) => process.stderr.write(`bench:saga: ${m}\n`),
  });
  process.on('message', (m: { op: string }) => {
    if (m.op === 'cpu') {
      void c.cpuUsage().then((w) => {
        const own = process.cpuUsage();
        process.send!({ op: 'cpu', cpu: { user: w.user + own.user, system: w.system + own.system } });
      });
    }
    if (m.op === 'stop') void c.stop().then(() => process.exit(0));
  });
  process.on('disconnect', () => void c.stop().then(() => process.exit(1))); // the driver is gone
  process.send!({ op: 'ready', url: c.url, workers });
}

/**
 * Child process for the `direct` baseline: the saga's own work without the local runtime. Each order
 * is the order use case (the order insert and its OrderCreated publish to Kafka) and then the task
 * handlers the state machine calls, in the ASL's order (reserve, authorize, beginConfirmation,
 * capture, confirm, publish), awaited one after the other, BENCH_CONCURRENCY orders at a time for
 * BENCH_DIRECT_SECONDS (after as long unmeasured). No HTTP, JWT, Kafka consumer, StartExecution, ASL interpreter, execution
 * store or EventBridge: so orders_per_s / direct_orders_per_s is the share of the saga's own ceiling
 * (its SQL and Kafka publishes, on this machine) that the platform reaches.
 */
async function direct(): Promise<void> {
  // Round trips: every Client#query call is one (a multi-statement simple query included); the
  // pool's PreparingClient goes through Client.prototype.query, so counting there counts them all.
  const pg = await import('pg');
  const Client0 = (pg as unknown as { default?: typeof pg }).default?.Client ?? pg.Client;
  const query0 = Client0.prototype.query as (...a: unknown[]) => unknown;
  let roundTrips = 0;
  Client0.prototype.query = function (this: unknown, ...a: unknown[]) {
    roundTrips++;
    return query0.apply(this, a);
  } as never;
  const { placeOrder } = await import('../../functions/order/use-cases/place-order');
  const inventory = (await import('../../functions/inventory/handlers/tasks')).handler;
  const payment = (await import('../../functions/payment/handlers/tasks')).handler;
  const order = (await import('../../functions/order/handlers/tasks')).handler;
  const skus = JSON.parse(process.env.BENCH_DIRECT_SKUS ?? '[]') as string[];
  const seconds = Number(process.env.BENCH_DIRECT_SECONDS ?? 10);
  const run = process.env.BENCH_RUN ?? 'direct';
  let i = 0;
  const one = async (n: number) => {
    const items = [{ sku: skus[n % skus.length]!, quantity: 1 }];
    const paymentToken = '4242424242424242';
    const userId = `bench-${run}-direct-${n % 50}`;
    const { orderId } = await placeOrder({ currency: 'EUR' }, { userId, roles: ['customer'] }, { items, paymentMethod: 'card', paymentToken }, `${run}-direct-${n}`);
    await inventory({ action: 'reserve', orderId, items });
    await payment({ action: 'authorize', orderId, amountCents: 1999, currency: 'EUR' }); // the token comes from the order's row
    await order({ action: 'beginConfirmation', orderId });
    await payment({ action: 'capture', orderId });
    await order({ action: 'confirm', orderId, userId, amountCents: 1999, currency: 'EUR' }); // as the ASL passes it
    await order({ action: 'publish', orderId });
  };
  // As long again unmeasured first: Node's JIT, the pools and the hot rows, like the saga's warm-up.
  const phase = async (secs: number) => {
    const until = Date.now() + secs * 1000;
    let ok = 0;
    let bad = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) await one(i++).then(() => ok++, () => bad++);
    }));
    return { ok, bad };
  };
  await phase(seconds);
  // Transactions from pg_stat_database (committed + rolled back; this process is the only client now).
  const stats = new Client({ connectionString: process.env.PG_URL });
  await stats.connect();
  const w0 = await pgWork(stats);
  const rt0 = roundTrips;
  const m0 = machineTicks();
  const e0 = engineCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const { ok: done, bad: failed } = await phase(seconds);
  const cpu = process.cpuUsage(cpu0);
  const m1 = machineTicks();
  const e1 = engineCpuMs();
  const seconds1 = (Date.now() - t0) / 1000;
  const rts = roundTrips - rt0;
  const n = Math.max(1, done);
  const work = await pgWorkDelta(stats, w0, n); // waits for the backends' counters (at most once a second)
  await stats.end();
  process.send!({
    op: 'direct',
    orders: done,
    failed,
    seconds: seconds1,
    cpuMsPerOrder: (cpu.user + cpu.system) / 1000 / n,
    machineCpuMsPerOrder: m0 && m1 ? machineCpuMs(m0, m1) / n : null,
    postgresCpuMsPerOrder: e0 && e1 ? (e1.postgres - e0.postgres) / n : null,
    roundTripsPerOrder: rts / n,
    transactionsPerOrder: work.xacts,
  });
}

type DirectResult = {
  orders: number;
  failed: number;
  seconds: number;
  cpuMsPerOrder: number;
  machineCpuMsPerOrder: number | null;
  postgresCpuMsPerOrder: number | null;
  roundTripsPerOrder: number;
  transactionsPerOrder: number;
};
async function directBaseline(run: string, skus: string[]): Promise<DirectResult> {
  const child = fork(__filename, ['--direct'], { execArgv: process.execArgv, env: { ...process.env, BENCH_RUN: run, BENCH_DIRECT_SKUS: JSON.stringify(skus) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m: DirectResult & { op: string }) => {
      if (m.op === 'direct') {
        resolve(m);
        child.kill();
      }
    });
    child.once('exit', (code) => reject(new Error(`direct baseline exited (${code})`)));
  });
}

async function startServer(groupSuffix: string): Promise<{ url: string; pid: number; workers: number; cpu(): Promise<NodeJS.CpuUsage>; stop(): Promise<void>; kill(): void }> {
  if (TRACE) rmSync(pauseFile(TRACE), { force: true });
  const child = fork(__filename, ['--serve'], { execArgv: [...process.execArgv, ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])], env: { ...process.env, BENCH_GROUP_SUFFIX: groupSuffix, ...(TRACE ? { LOCAL_PAUSE_TRACE: pauseFile(TRACE) } : {}) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (op: string) =>
    new Promise<any>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`platform process exited (${code})`));
      const onMsg = (m: { op: string }) => {
        if (m.op !== op) return;
        child.off('message', onMsg);
        child.off('exit', onExit); // one listener per request otherwise (MaxListenersExceededWarning after 10 CPU reads)
        resolve(m);
      };
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
  const ready = await next('ready');
  return {
    url: ready.url as string,
    pid: child.pid!,
    workers: ready.workers as number,
    async cpu() {
      const r = next('cpu');
      child.send({ op: 'cpu' });
      return (await r).cpu as NodeJS.CpuUsage;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ op: 'stop' });
      await exited;
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

if (process.argv.includes('--direct')) {
  direct().catch((err) => {
    process.stderr.write(`bench:saga direct baseline failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
} else if (process.argv.includes('--serve')) {
  serve().catch((err) => {
    process.stderr.write(`bench:saga platform failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
} else main().catch((err) => {
  process.stderr.write(`bench:saga failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
