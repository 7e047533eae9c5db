/**
 * Probe for "one statement per saga step" (docs/saga.md, stop 11): an AuthorizePayment-like step as
 * runStepOnce does it today (two round trips: BEGIN, the per-order advisory lock, the order's
 * recorded steps and the step's PREPAREd statement; then the step record, the outbox row and
 * COMMIT) against the same work in one PL/pgSQL function called once (one round trip). 8 clients,
 * 2 s unmeasured then BENCH_PROBE_SECONDS (8) measured, 3 rounds alternating; prints steps/s and the
 * CPU per step of PostgreSQL (from /proc, Linux) and of this client.
 *
 *   PG_URL=postgres://... node scripts/lambda-node.js scripts/bench/step-design-probe.ts
 *
 * Works in its own schema `probe_step` (dropped at the start and at the end), on tables shaped like
 * the saga's (payments, processed_messages, outbox with the same partial indexes).
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { engineCpuMs } from './proc-cpu';

const URL = process.env.PG_URL;
const pgCpuMs = () => engineCpuMs()?.postgres ?? NaN;

async function setup() {
  const c = new Client({ connectionString: URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS probe_step CASCADE; CREATE SCHEMA probe_step;
    CREATE TABLE probe_step.payments (order_id uuid PRIMARY KEY, status text NOT NULL, amount_cents bigint NOT NULL, currency char(3) NOT NULL, authorization_id text, updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE probe_step.processed_messages (order_id text, step text, result jsonb NOT NULL DEFAULT '{}', processed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (order_id, step));
    CREATE TABLE probe_step.outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, topic text NOT NULL, message_key text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz, attempts int NOT NULL DEFAULT 0, last_error text);
    CREATE INDEX ON probe_step.outbox (message_key) WHERE published_at IS NULL; CREATE INDEX ON probe_step.outbox (id) WHERE published_at IS NULL;
    CREATE FUNCTION probe_step.authorize(p_order uuid, p_amount bigint, p_currency text, p_auth text, p_event uuid, p_payload jsonb, p_result jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
    DECLARE prior jsonb;
    BEGIN
      PERFORM pg_advisory_xact_lock(41003, hashtext(p_order::text));
      SELECT result INTO prior FROM probe_step.processed_messages WHERE order_id = p_order::text AND step = 'payment:authorize';
      IF FOUND THEN RETURN jsonb_build_object('replayed', true, 'result', prior); END IF;
      INSERT INTO probe_step.payments (order_id, status, amount_cents, currency, authorization_id) VALUES (p_order, 'AUTHORIZED', p_amount, p_currency, p_auth) ON CONFLICT DO NOTHING;
      INSERT INTO probe_step.processed_messages (order_id, step, result) VALUES (p_order::text, 'payment:authorize', p_result);
      INSERT INTO probe_step.outbox (event_id, topic, message_key, payload) VALUES (p_event, 'payment-authorized', p_order::text, p_payload);
      RETURN jsonb_build_object('replayed', false, 'result', p_result);
    END $$;`);
  await c.end();
}
/** A PaymentAuthorized envelope, about the size of the saga's. */
const payload = (id: string) =>
  JSON.stringify({
    id: randomUUID(),
    type: 'PaymentAuthorized',
    time: new Date().toISOString(),
    source: 'shop.payment',
    orderId: id,
    version: 1,
    data: { orderId: id, amountCents: 1999, currency: 'EUR', authorizationId: `auth_${id.slice(0, 8)}` },
  });

/** The step as runStepOnce runs it (functions/shared/idempotency.ts), prepared-statement mode. */
async function today(c: Client, id: string): Promise<void> {
  const lit = (v: string) => c.escapeLiteral(v);
  const opened = (await c.query(
    `BEGIN; SELECT pg_advisory_xact_lock(41003, hashtext(${lit(id)})); SELECT step, result FROM probe_step.processed_messages WHERE order_id = ${lit(id)}; EXECUTE ins_pay(${lit(id)}, 1999, 'EUR', ${lit(`auth_${id}`)})`,
  )) as unknown as Array<{ rows: Array<{ step: string }> }>;
  if (opened[2]!.rows.some((x) => x.step === 'payment:authorize')) {
    await c.query('ROLLBACK');
    return;
  }
  await c.query(
    `INSERT INTO probe_step.processed_messages (order_id, step, result) VALUES (${lit(id)}, 'payment:authorize', ${lit(JSON.stringify({ authorizationId: `auth_${id}` }))}::jsonb); ` +
      `INSERT INTO probe_step.outbox (event_id, topic, message_key, payload) VALUES (${lit(randomUUID())}::uuid, 'payment-authorized', ${lit(id)}, ${lit(payload(id))}::jsonb); COMMIT`,
  );
}

/** The same work in one call of the PL/pgSQL function (a named prepared statement). */
async function fn(c: Client, id: string): Promise<void> {
  await c.query({
    name: 'authorize',
    text: 'SELECT probe_step.authorize($1, $2, $3, $4, $5, $6, $7) AS r',
    values: [id, 1999, 'EUR', `auth_${id}`, randomUUID(), payload(id), JSON.stringify({ authorizationId: `auth_${id}` })],
  });
}

async function run(name: string, step: (c: Client, id: string) => Promise<void>, seconds: number): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const c = new Client({ connectionString: URL });
      await c.connect();
      await c.query(`PREPARE ins_pay(uuid, bigint, text, text) AS INSERT INTO probe_step.payments (order_id, status, amount_cents, currency, authorization_id)
        VALUES ($1, 'AUTHORIZED', $2, $3, $4) ON CONFLICT DO NOTHING`);
      return c;
    }),
  );
  const phase = async (secs: number) => {
    let n = 0;
    const until = Date.now() + secs * 1000;
    await Promise.all(
      clients.map(async (c) => {
        while (Date.now() < until) {
          await step(c, randomUUID());
          n++;
        }
      }),
    );
    return n;
  };
  await phase(2);
  const p0 = pgCpuMs();
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  const n = await phase(seconds);
  const s = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const p1 = pgCpuMs();
  console.log(`${name}  steps/s ${(n / s).toFixed(0)}  PostgreSQL CPU ms/step ${((p1 - p0) / n).toFixed(3)}  client CPU ms/step ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)}`);
  await Promise.all(clients.map((c) => c.end()));
}

const SECONDS = Number(process.env.BENCH_PROBE_SECONDS ?? 8);
(async () => {
  if (!URL) throw new Error('set PG_URL');
  await setup();
  for (let i = 0; i < 3; i++) {
    await run('today (2 round trips, 7 statements)', today, SECONDS);
    await run('PL/pgSQL (1 round trip, 1 call)  ', fn, SECONDS);
  }
  const c = new Client({ connectionString: URL });
  await c.connect();
  await c.query('DROP SCHEMA probe_step CASCADE');
  await c.end();
})().catch((err) => {
  process.stderr.write(`step-design-probe failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
