/**
 * Local runtime overhead benchmark: `npx tsx local/runtime/bench.ts [--n 4000]`.
 * Measures, in one run, each part of the runtime against a reference taken on the same machine:
 *  - gateway: a no-op handler through the gateway (public route, and a 'user' route that runs the JWT
 *    authorizer on every request: decision cache off) vs a bare node:http server answering the same JSON;
 *  - Step Functions: executions of a 3-task test ASL (lambda:invoke + direct + events:putEvents,
 *    no I/O in the tasks) with the in-memory and the PostgreSQL execution store; pg_tps = single-row
 *    inserts/s measured here (the PostgreSQL store costs 2 writes per execution); 16 executions in flight;
 *  - Kafka: messages/s and produce->handler latency through a consumer group (batch 10).
 * Prints one JSON line last and writes bench-results/local-runtime.json.
 */
import '../polyfills';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Pool } from 'pg';
import { signToken } from '../../functions/shared/auth';
import { endpoints } from '../engines/endpoints';
import { kafkaClient, startPlatform } from './index';
import { TEST_SAGA, testManifest } from '../../test/fixtures/runtime/manifest';
import { received } from '../../test/fixtures/runtime/handlers';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('n', 4000);
const CONCURRENCY = arg('concurrency', 32);
/** Executions in flight at once (a burst of N would measure queueing, not the runner). */
const SFN_CONCURRENCY = arg('sfn-concurrency', 16);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return +(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0).toFixed(2);
};

async function load(url: string, n: number, headers: Record<string, string> = {}): Promise<{ rps: number; p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const lat: number[] = [];
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const t = performance.now();
      http
        .get(url, { agent, headers }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`));
            lat.push(performance.now() - t);
            resolve();
          });
        })
        .on('error', reject);
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < n) await one();
    }),
  );
  const s = (performance.now() - t0) / 1000;
  agent.destroy();
  return { rps: Math.round(n / s), p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function main(): Promise<void> {
  const out: Record<string, number> = {};
  const run = `${process.pid}-${Date.now()}`;
  const topic = `runtime-bench-${run}`;

  // ---- reference: bare node:http
  const body = JSON.stringify({ ok: true });
  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
  await load(bareUrl, 500);
  const ref = await load(bareUrl, N);
  bare.close();
  Object.assign(out, { http_bare_rps: ref.rps, http_bare_p99_ms: ref.p99 });

  const p = await startPlatform({
    manifest: testManifest({ topic, withRealServices: false }),
    components: ['gateway', 'sfn', 'aws-endpoint', 'consumers'],
    port: 0,
    awsPort: 0,
    stateMachines: [TEST_SAGA],
    executionStore: 'memory',
    consumer: { groupIdSuffix: `-${run}` },
    authorizerCacheTtlSeconds: 0, // measure the authorizer on every request (deployed, its decision is cached 5 min)
  });
  try {
    await load(`${p.url}/test/items/warm`, 500);
    const pub = await load(`${p.url}/test/items/x1`, N);
    Object.assign(out, { gateway_rps: pub.rps, gateway_p50_ms: pub.p50, gateway_p99_ms: pub.p99, gateway_vs_bare_rps: +(pub.rps / ref.rps).toFixed(3) });
    const token = await signToken({ userId: 'bench', roles: ['customer'] });
    const auth = await load(`${p.url}/test/me`, N, { authorization: `Bearer ${token}` });
    Object.assign(out, { gateway_auth_rps: auth.rps, gateway_auth_p99_ms: auth.p99 });

    // ---- Step Functions, memory store
    const sfnRun = async (platform: typeof p, count: number, tag: string) => {
      const arn = platform.stateMachineArns[TEST_SAGA.name]!;
      const lat: number[] = [];
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: SFN_CONCURRENCY }, async () => {
          for (let i = next++; i < count; i = next++) {
            const t = performance.now();
            const { executionArn } = await platform.sfn.startExecution({ stateMachineArn: arn, name: `${tag}-${run}-${i}`, input: { key: `${tag}-${i}`, failTimes: 0, outOfStock: false } });
            const d = await platform.sfn.waitForExecution(executionArn, 120000);
            if (d.status !== 'SUCCEEDED') throw new Error(`${executionArn}: ${d.status} ${d.error}`);
            lat.push(performance.now() - t);
          }
        }),
      );
      return { per_s: Math.round(count / ((performance.now() - t0) / 1000)), p50: pct(lat, 50), p99: pct(lat, 99) };
    };
    const sfnN = Math.max(100, Math.round(N / 4));
    await sfnRun(p, 100, 'warm');
    const mem = await sfnRun(p, sfnN, 'mem');
    Object.assign(out, { sfn_memory_executions_per_s: mem.per_s, sfn_memory_p50_ms: mem.p50, sfn_memory_p99_ms: mem.p99 });

    // ---- Kafka consumer
    const producer = kafkaClient(endpoints().kafkaBrokers, 'bench-producer').producer();
    await producer.connect();
    const kN = Math.max(1000, N);
    const before = received.length;
    const t0 = Date.now();
    for (let i = 0; i < kN; i += 500)
      await producer.send({ topic, messages: Array.from({ length: Math.min(500, kN - i) }, (_, j) => ({ key: String((i + j) % 16), value: `m${i + j}` })) });
    const count = () => received.slice(before).reduce((a, e) => a + Object.values(e.records).reduce((b, r) => b + r.length, 0), 0);
    while (count() < kN) {
      if (Date.now() - t0 > 120000) throw new Error('consumer bench timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
    const kS = (Date.now() - t0) / 1000;
    await producer.disconnect();
    Object.assign(out, { kafka_messages_per_s: Math.round(kN / kS) });
  } finally {
    await p.stop();
  }

  // ---- Step Functions, PostgreSQL store, and the pg reference
  const pool = new Pool({ connectionString: endpoints().pgUrl, max: 8 });
  const pgN = 2000;
  await pool.query('CREATE SCHEMA IF NOT EXISTS local_runtime');
  await pool.query('CREATE TABLE IF NOT EXISTS local_runtime.bench_tps (id bigserial primary key, v text)');
  let k = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (k++ < pgN) await pool.query('INSERT INTO local_runtime.bench_tps (v) VALUES ($1)', ['x']);
    }),
  );
  out.pg_tps = Math.round(pgN / ((performance.now() - t1) / 1000));
  await pool.query('DROP TABLE IF EXISTS local_runtime.bench_tps');
  await pool.end();

  const p2 = await startPlatform({ manifest: testManifest(), components: ['sfn'], stateMachines: [TEST_SAGA] });
  try {
    const arn = p2.stateMachineArns[TEST_SAGA.name]!;
    const n = Math.max(100, Math.round(N / 4));
    const lat: number[] = [];
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SFN_CONCURRENCY }, async () => {
        for (let i = next++; i < n; i = next++) {
          const t = performance.now();
          const { executionArn } = await p2.sfn.startExecution({ stateMachineArn: arn, name: `pg-${run}-${i}`, input: { key: `pg-${i}`, failTimes: 0, outOfStock: false } });
          const d = await p2.sfn.waitForExecution(executionArn, 120000);
          if (d.status !== 'SUCCEEDED') throw new Error(`${executionArn}: ${d.status}`);
          lat.push(performance.now() - t);
        }
      }),
    );
    Object.assign(out, {
      sfn_pg_executions_per_s: Math.round(n / ((performance.now() - t0) / 1000)),
      sfn_pg_p50_ms: pct(lat, 50),
      sfn_pg_p99_ms: pct(lat, 99),
    });
    out.sfn_pg_vs_pg_tps_over_2 = +(out.sfn_pg_executions_per_s! / (out.pg_tps / 2)).toFixed(3);
  } finally {
    await p2.stop();
  }

  const dir = path.resolve(__dirname, '../../bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'local-runtime.json'), `${JSON.stringify({ at: new Date().toISOString(), n: N, concurrency: CONCURRENCY, ...out }, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack}\n`);
  process.exit(1);
});
