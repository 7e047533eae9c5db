/**
 * `npm start` as the README runs it (the launcher, then local/start.ts on the Lambdas' Node.js), with
 * every component in one process: gateway, AWS endpoint, Step Functions, consumers and schedules. An
 * order placed through its gateway reaches CONFIRMED through Kafka, the SagaStarter and the state
 * machine; Ctrl-C (SIGINT) stops it with exit code 0.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DEV_JWT_SECRET } from '../../../local/runtime/env';
import { closeDb, CARDS, db, migrate, positionGroupAtEnd, seedSku, until } from '../saga/helpers';

jest.setTimeout(180000);

const root = path.resolve(__dirname, '../../..');
const SUFFIX = `-start-it-${process.pid}`;

afterAll(closeDb);

describe('npm start (local/start.ts)', () => {
  it('prints where everything is, serves on the Lambda runtime\'s Node.js, runs the saga in-process, and exits 0 on Ctrl-C', async () => {
    process.env.JWT_SECRET ??= DEV_JWT_SECRET;
    const { signToken } = await import('../../../functions/shared/auth');
    await migrate();
    // Its own consumer groups, positioned at the end: only this test's orders.
    await positionGroupAtEnd(`saga-starter${SUFFIX}`, ['order-created']);
    const child = spawn(process.execPath, ['scripts/lambda-node.js', 'local/start.ts'], {
      cwd: root,
      env: {
        ...process.env,
        SKIP_ENGINES: '1',
        PORT: '0',
        AWS_PORT: '0',
        LOCAL_CONSUMER_GROUP_SUFFIX: SUFFIX,
        LOCAL_CONSUMERS_FROM: 'latest',
        LOCAL_RUNTIME_LOG_LEVEL: 'WARN',
        POWERTOOLS_LOG_LEVEL: 'WARN',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until('npm start to come up', () => (/shop is running/.test(out) ? true : child.exitCode !== null ? Promise.reject(new Error(out)) : undefined), 120000, 100);
      expect(out).toMatch(/migrations: /);
      const url = /API gateway\s+(http:\/\/\S+)/.exec(out)?.[1];
      expect(url).toBeDefined();
      expect(out).toMatch(/PostgreSQL\s+postgres:\/\//);
      expect(out).toMatch(/Kafka\s+\S+:\d+/);
      expect(out).toMatch(/Node\.js\s+24\.\d+\.\d+ \(as the Lambdas: nodejs24\.x\)/);
      expect(out).toMatch(/consumers\s+.*SagaStarter<-order-created/);
      expect(out).toMatch(/schedules\s+OrderOutboxRelay/);
      expect((await fetch(`${url}/health`)).status).toBe(200);

      // The main job: an order through the gateway, Kafka, the SagaStarter and the state machine.
      const sku = await seedSku('start', 3);
      const token = await signToken({ userId: `start-${randomUUID()}`, roles: ['customer'] });
      const res = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ items: [{ sku, quantity: 2 }], paymentToken: CARDS.approve }),
      });
      expect(res.status).toBe(202);
      const { orderId } = (await res.json()) as { orderId: string };
      await until('the order CONFIRMED', async () => ((await db().query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [orderId])).rows[0]?.status === 'CONFIRMED' ? true : undefined), 60000, 100);
      expect((await db().query<{ stock: number }>('SELECT stock FROM inventory WHERE sku = $1', [sku])).rows[0]!.stock).toBe(1);
      const view = await fetch(`${url}/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await view.json()) as { status: string }).status).toBe('CONFIRMED');

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toMatch(/^SIGINT: stopping\.\.\.$[\s\S]*^stopped\.$/m); // other lines may come between
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
