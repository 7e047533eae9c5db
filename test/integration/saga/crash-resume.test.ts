/**
 * A crash after ReserveInventory, then the execution runs again from the start (what the runtime's
 * resumeRunningExecutions does after a restart; AWS retries tasks the same way): the reserve step
 * replays its recorded result, so there is exactly one reservation and stock moves once.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.SANDBOX_LATENCY_MS = '1500'; // AuthorizePayment is in flight when the process "crashes"

import { MemoryExecutionStore, startPlatform, type Platform } from '../../../local/runtime';
import { CARDS, ORDER_EVENT_TOPICS, RUN, apiAs, closeDb, collectTopic, eventsOfOrder, executionArnOf, migrate, newUser, orderRow, paymentOf, platformOptions, positionGroupAtEnd, reservationsOf, sagaOf, seedSku, statesEntered, stepsOf, stockOf, until, type TopicCollector } from './helpers';

jest.setTimeout(120000);

let p1: Platform | undefined;
let p2: Platform | undefined;
let kafka: TopicCollector;
beforeAll(async () => {
  await migrate();
  await positionGroupAtEnd(`saga-starter-it-${RUN}`, ['order-created']);
  kafka = await collectTopic(ORDER_EVENT_TOPICS);
});
afterAll(async () => {
  await kafka?.stop();
  await p1?.stop();
  await p2?.stop();
  await closeDb();
});

it('re-runs an execution that crashed after ReserveInventory: exactly one reservation, stock decremented once', async () => {
  const store = new MemoryExecutionStore();
  p1 = await startPlatform(platformOptions({ executionStore: store }));
  const s = await seedSku('crash', 4);
  const api = await apiAs(p1, newUser());
  const res = await api.post('/orders', { items: [{ sku: s, quantity: 3 }], paymentToken: CARDS.approve });
  expect(res.status).toBe(202);
  const orderId = res.body.orderId as string;
  await until('the reservation', async () => ((await reservationsOf(orderId)).length > 0 ? true : undefined));
  const arn = executionArnOf(p1, orderId);
  // Crash: the runner stops without grace; the execution is left RUNNING mid-AuthorizePayment.
  await p1.sfn.stop(0);
  expect((await store.get(arn))?.status).toBe('RUNNING');
  expect((await orderRow(orderId)).status).toBe('PENDING');
  await p1.stop();
  p1 = undefined;

  p2 = await startPlatform(platformOptions({ executionStore: store, resumeRunningExecutions: true, components: ['sfn', 'aws-endpoint'] }));
  const saga = await sagaOf(p2, orderId);
  expect(saga.status).toBe('SUCCEEDED');
  expect(statesEntered(saga.history).slice(0, 2)).toEqual(['StartOrCompensate', 'ReserveInventory']); // ran again, replayed its stored result
  expect((await orderRow(orderId)).status).toBe('CONFIRMED');
  expect(await reservationsOf(orderId)).toEqual([{ sku: s, quantity: 3, status: 'RESERVED' }]);
  expect(await stockOf(s)).toBe(1);
  expect((await paymentOf(orderId))?.status).toBe('CAPTURED');
  expect(await stepsOf(orderId)).toEqual(['inventory.reserve', 'order.begin-confirmation', 'order.confirm', 'payment.authorize', 'payment.capture']);
  // One event per step, though ReserveInventory ran twice: sent or not, by envelope id.
  expect((await eventsOfOrder(orderId, kafka, 5)).map((e) => e.event.type)).toEqual(['InventoryReserved', 'OrderCompleted', 'OrderCreated', 'PaymentAuthorized', 'PaymentCaptured']);
});
