/**
 * `npm run web3:demo` (scripts/web3/demo.ts) against a whole local platform: gateway, consumers, the
 * real ASL. The README points users at it, so it must keep working: a wallet signs in, orders in
 * crypto, pays on chain, verifies (again while the saga reserves), and the order is CONFIRMED.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { endpoints } from '../../../local/engines/endpoints';
import { createTopics, startPlatform, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { closeRedis } from '../../../functions/shared/adapters/redis';
import { runDemo } from '../../../scripts/web3/demo';
import { closeDb, migrate, paymentOf, platformOptions } from '../saga/helpers';

jest.setTimeout(120000);

let p: Platform;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  // The payment window shortened to 31 tries 500 ms apart; every other retry at once.
  const fast = { ReserveInventory: 0, BeginConfirmation: 0, CapturePayment: 0, ConfirmOrder: 0, PublishOrderCompleted: 0, RefundPayment: 0, ReleaseInventory: 0, CancelOrder: 0, PublishOrderFailed: 0 };
  p = await startPlatform(platformOptions({ retryIntervalOverrides: { ...fast, AuthorizePayment: [500, 0, 0] } }));
});
afterAll(async () => {
  await p?.stop();
  await closeProducer();
  await closeRedis();
  await closeDb();
});

it('walks a crypto order from sign-in to CONFIRMED, printing each step', async () => {
  const lines: string[] = [];
  const { orderId, order, txHash } = await runDemo(p.url, endpoints().chainRpcUrl, (l) => lines.push(l), 60000);
  expect(order).toMatchObject({ orderId, status: 'CONFIRMED', paymentMethod: 'crypto', amountCents: 2900 });
  expect(await paymentOf(orderId)).toMatchObject({ status: 'CAPTURED', capture_id: `crypto:${txHash}` });
  expect(lines.map((l) => l.slice(0, 2))).toEqual(['1.', '2.', '3.', '4.', '5.', '6.']);
  expect(lines[5]).toBe('6. order CONFIRMED');
});
