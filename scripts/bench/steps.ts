/**
 * `npm run bench:steps`: the saga's five happy-path steps (ReserveInventory, AuthorizePayment,
 * BeginConfirmation, CapturePayment, ConfirmOrder: the same task handlers the Lambdas run) one order
 * at a time, with each step's normal path in one round trip (runStepOnce's `normal`) and every step
 * the general way (SAGA_STEP_ONE_ROUND_TRIP=false), interleaved, over two connections to the same
 * PostgreSQL:
 *  - `local`: straight to it (loopback);
 *  - `network`: through a TCP proxy in this process that holds every chunk BENCH_STEPS_ONE_WAY_MS
 *    (default 1 ms; Node's timers make it 1-1.5 ms) each way, so a round trip costs a few ms, as
 *    between a Lambda and RDS through RDS Proxy, and the figures read as what a step spends on the
 *    wire there.
 * One order at a time: the latency of the steps, not the machine's capacity (bench:saga).
 * Round trips are counted on the client (pg's Client#query calls).
 *
 * Last line of stdout: one JSON object; also written to bench-results/steps.json:
 *   {orders, rounds, one_way_ms, local: {...}, network: {...}} where each of local / network holds,
 *   round_trip_ms (one SELECT 1, p50) and, per way, the steps' ms per order (p50, mean), round
 *   trips per order and each step's p50, and
 *   `one_round_trip_vs_two`: the ratio of the mean ms per order (same run, same engines).
 */
import '../../local/polyfills';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { pct, round } from './stats';

const ORDERS = Number(process.env.BENCH_STEPS_ORDERS ?? 200);
const ROUNDS = Number(process.env.BENCH_STEPS_ROUNDS ?? 3);
const ONE_WAY_MS = Number(process.env.BENCH_STEPS_ONE_WAY_MS ?? 1);
const STEPS = ['ReserveInventory', 'AuthorizePayment', 'BeginConfirmation', 'CapturePayment', 'ConfirmOrder'] as const;
const say = (m: string) => process.stderr.write(`bench:steps: ${m}\n`);
/** Percentile of unsorted values (nearest rank). */
const pctOf = (xs: number[], p: number) => pct([...xs].sort((a, b) => a - b), p);

/** A TCP proxy that delays every chunk by `ms` in each direction (order kept: equal delays fire in order). */
function delayProxy(target: { host: string; port: number }, ms: number): Promise<{ port: number; server: Server }> {
  const server = createServer((client: Socket) => {
    const upstream = connect(target.port, target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pipe = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => void setTimeout(() => to.write(chunk), ms));
      from.on('end', () => void setTimeout(() => to.end(), ms));
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server })));
}

/** Counts the client's round trips (pg Client#query calls) while it is installed. */
let roundTrips = 0;
const originalQuery = Client.prototype.query;
Client.prototype.query = function counted(this: Client, ...args: unknown[]) {
  roundTrips++;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof Client.prototype.query;

async function main(): Promise<void> {
  const { anyEngineRunning } = await import('../../local/engines/endpoints');
  const own = !process.env.ENGINES_STATE_DIR && !(await anyEngineRunning(['postgres']));
  if (own) process.env.ENGINES_STATE_DIR = join(__dirname, '../../.engines/bench');
  const { acquireLease, releaseLease, startEngines } = await import('../../local/engines');
  await acquireLease();
  try {
    const eps = (await startEngines({ only: ['postgres'], ephemeral: own, log: say })).endpoints;
    const { runMigrations } = await import('../../functions/platform/migrations');
    await runMigrations({ databaseUrl: eps.pgUrl });
    const url = new URL(eps.pgUrl);
    const proxy = await delayProxy({ host: url.hostname, port: Number(url.port) }, ONE_WAY_MS);
    const viaProxy = new URL(eps.pgUrl);
    viaProxy.port = String(proxy.port);

    /** One round trip's time (SELECT 1), p50 of 50, on a connection. */
    const rtt = async (connectionString: string) => {
      const c = new Client({ connectionString });
      await c.connect();
      const ms: number[] = [];
      for (let i = 0; i < 60; i++) {
        const t0 = performance.now();
        await (originalQuery as (this: Client, text: string) => Promise<unknown>).call(c, 'SELECT 1');
        if (i >= 10) ms.push(performance.now() - t0);
      }
      await c.end();
      return round(pctOf(ms, 50), 3);
    };
    const roundTripMs = { local: await rtt(eps.pgUrl), network: await rtt(viaProxy.toString()) };
    say(`a round trip (SELECT 1, p50): local ${roundTripMs.local} ms, network ${roundTripMs.network} ms`);

    const { closePool } = await import('../../functions/shared/adapters/pg');
    const { insertOrder } = await import('../../functions/order/adapters/pg-orders');
    const { envelope } = await import('../../functions/shared/events');
    const inventory = (await import('../../functions/inventory/handlers/tasks')).handler;
    const payment = (await import('../../functions/payment/handlers/tasks')).handler;
    const order = (await import('../../functions/order/handlers/tasks')).handler;

    const run = Date.now().toString(36);
    const sku = `BENCH-STEPS-${run}`;
    const seed = new Client({ connectionString: eps.pgUrl });
    await seed.connect();
    await seed.query('INSERT INTO inventory (sku, price_cents, stock) VALUES ($1, 1999, 1000000)', [sku]);
    await seed.end();

    /** One order's five steps; returns each step's ms and the round trips they took. */
    async function oneOrder(n: number): Promise<{ ms: number[]; trips: number }> {
      const orderId = randomUUID();
      const userId = `bench-steps-${run}-${n % 20}`;
      const items = [{ sku, quantity: 1 }];
      const draft = { orderId, userId, items: [], amountCents: 0, currency: 'EUR' };
      await insertOrder(
        { id: orderId, userId, currency: 'EUR', paymentToken: '4242424242424242', idempotencyKey: undefined, requestHash: 'bench', items },
        { eventId: randomUUID(), topic: 'order-created', payload: envelope({ type: 'OrderCreated', version: 2, source: 'shop.order', orderId, data: draft }) },
      );
      const steps = [
        () => inventory({ action: 'reserve', orderId, items }),
        () => payment({ action: 'authorize', orderId, amountCents: 1999, currency: 'EUR' }), // the token comes from the order's row
        () => order({ action: 'beginConfirmation', orderId }),
        () => payment({ action: 'capture', orderId }),
        () => order({ action: 'confirm', orderId, userId, amountCents: 1999, currency: 'EUR' }), // as the ASL passes it
      ];
      const ms: number[] = [];
      const before = roundTrips;
      for (const step of steps) {
        const t0 = performance.now();
        await step();
        ms.push(performance.now() - t0);
      }
      return { ms, trips: roundTrips - before };
    }

    type Way = 'one_round_trip' | 'two_round_trips';
    const ways: Way[] = ['two_round_trips', 'one_round_trip'];
    const paths = { local: eps.pgUrl, network: viaProxy.toString() } as const;
    const samples: Record<keyof typeof paths, Record<Way, Array<{ ms: number[]; trips: number }>>> = {
      local: { one_round_trip: [], two_round_trips: [] },
      network: { one_round_trip: [], two_round_trips: [] },
    };
    let n = 0;
    for (let r = 1; r <= ROUNDS; r++) {
      for (const [path, pgUrl] of Object.entries(paths) as Array<[keyof typeof paths, string]>) {
        for (const way of ways) {
          process.env.PG_URL = pgUrl;
          process.env.SAGA_STEP_ONE_ROUND_TRIP = way === 'one_round_trip' ? 'true' : 'false';
          await closePool(); // a new pool on this connection (its statements prepared by the warm-up)
          for (let w = 0; w < 10; w++) await oneOrder(n++);
          for (let i = 0; i < ORDERS; i++) samples[path][way].push(await oneOrder(n++));
          const last = samples[path][way].slice(-ORDERS);
          say(`round ${r}, ${path}, ${way}: ${round(last.reduce((a, x) => a + x.ms.reduce((s, v) => s + v, 0), 0) / ORDERS, 2)} ms per order (5 steps)`);
        }
      }
    }
    await closePool();
    proxy.server.close();

    const summary = (xs: Array<{ ms: number[]; trips: number }>) => {
      const totals = xs.map((x) => x.ms.reduce((a, b) => a + b, 0));
      return {
        ms_per_order_p50: round(pctOf(totals, 50), 2),
        ms_per_order_mean: round(totals.reduce((a, b) => a + b, 0) / totals.length, 2),
        round_trips_per_order: round(xs.reduce((a, x) => a + x.trips, 0) / xs.length, 1),
        step_p50_ms: Object.fromEntries(STEPS.map((s, i) => [s, round(pctOf(xs.map((x) => x.ms[i]!), 50), 2)])),
      };
    };
    const of = (path: keyof typeof paths) => {
      const one = summary(samples[path].one_round_trip);
      const two = summary(samples[path].two_round_trips);
      return { round_trip_ms: roundTripMs[path], two_round_trips: two, one_round_trip: one, one_round_trip_vs_two: round(one.ms_per_order_mean / two.ms_per_order_mean, 3) };
    };
    const result = { orders: ORDERS, rounds: ROUNDS, one_way_ms: ONE_WAY_MS, local: of('local'), network: of('network'), at: new Date().toISOString() };
    const dir = join(__dirname, '../../bench-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'steps.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result));
  } finally {
    await releaseLease({ log: say }).catch(() => []);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:steps: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
