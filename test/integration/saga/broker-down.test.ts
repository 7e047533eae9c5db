/**
 * Nothing accepted is lost when the broker is down at POST time: the order and its outbox row
 * commit, the API still answers 202, and once Kafka is reachable the outbox relay publishes the row,
 * the saga starter starts the saga and the order reaches a terminal state.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.OUTBOX_PUBLISH_TIMEOUT_MS = '500';
const realBrokers = process.env.KAFKA_BROKERS;
process.env.KAFKA_BROKERS = '127.0.0.1:1'; // nothing listens there: "the broker is down"

import type { Platform } from '../../../local/runtime';
import { CARDS, RUN, apiAs, closeDb, db, migrate, newUser, outboxLeft, platformOptions, positionGroupAtEnd, seedSku, stockOf, waitForOrderStatus } from './helpers';

jest.setTimeout(120000);

let p1: Platform | undefined;
let p2: Platform | undefined;
afterAll(async () => {
  await p1?.stop();
  await p2?.stop();
  await closeDb();
});

it('accepts an order while Kafka is down and confirms it through the relay once Kafka is back', async () => {
  await migrate();
  const s = await seedSku('brokerdown', 2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtime1 = require('../../../local/runtime') as typeof import('../../../local/runtime');
  p1 = await runtime1.startPlatform(platformOptions({ components: ['gateway'] }));
  const api = await apiAs(p1, newUser());
  const res = await api.post('/orders', { items: [{ sku: s, quantity: 1 }], paymentToken: CARDS.approve });
  expect(res.status).toBe(202);
  const orderId = res.body.orderId as string;
  // Kept for the relay, with the failure counted.
  expect(await outboxLeft(orderId)).toEqual([{ topic: 'order-created', type: 'OrderCreated', attempts: 1, last_error: expect.stringMatching(/timed out|ECONNREFUSED|Connection/i) }]);
  await p1.stop();
  p1 = undefined;

  // The broker is back: fresh modules (adapters made once per cold start), real brokers.
  jest.resetModules();
  process.env.KAFKA_BROKERS = realBrokers ?? '127.0.0.1:19092';
  await positionGroupAtEnd(`saga-starter-it-${RUN}`, ['order-created']);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtime2 = require('../../../local/runtime') as typeof import('../../../local/runtime');
  p2 = await runtime2.startPlatform(platformOptions());
  const o = await waitForOrderStatus(orderId, 90000);
  expect(o.status).toBe('CONFIRMED');
  expect(await stockOf(s)).toBe(1);
  // The relay sent it (the saga started from it) and deleted the row.
  expect((await outboxLeft(orderId)).filter((r) => r.topic === 'order-created')).toEqual([]);
});
