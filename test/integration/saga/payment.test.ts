/**
 * PaymentTasks on the real engines, invoked as the state machine invokes it (the runtime's handler
 * registry: a Lambda RequestResponse invoke, payload and result round-tripped through JSON) with the
 * real sandbox provider behind the real resilient adapter (cockatiel timeout + retry + breaker):
 *
 *  - the refund of a CAPTURED payment: REFUNDED with its refund id, one PaymentRefunded event, a
 *    repeated refund answers the same without a second provider call or event, and a capture after
 *    it does not move the payment off REFUNDED, and is refused (PaymentCompensatedError), as is a
 *    capture after the void of an authorization;
 *  - the adapter's own retry on the time-out card: every attempt is cut by the per-attempt timeout,
 *    each one reaches the provider with the same idempotency key, and the task fails TransientError.
 *
 * The provider calls are counted on the sandbox itself: the registry `require`s the handler's module
 * through this file's module registry, so the SandboxPaymentProvider class (and the one instance
 * tasks.ts made at its cold start) are the ones imported here; a spy on the class's prototype sees
 * every call the handler makes and its `this` (the instance, whose own `calls` log is read too).
 */
const TIMEOUT_MS = 100;
const ATTEMPTS = 3;
process.env.PAYMENT_PROVIDER_TIMEOUT_MS = String(TIMEOUT_MS);
process.env.PAYMENT_PROVIDER_ATTEMPTS = String(ATTEMPTS);
process.env.PAYMENT_BREAKER_THRESHOLD = '10000'; // the time-outs here must not open the circuit
process.env.SANDBOX_TIMEOUT_CARD_DELAY_MS = '20000'; // far longer than the adapter's timeout
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { endpoints } from '../../../local/engines/endpoints';
import { createTopics, startPlatform, type Platform } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { SandboxPaymentProvider } from '../../../functions/payment/adapters/sandbox-provider';
import { handler as paymentTasks } from '../../../functions/payment/handlers/tasks';
import { CARDS, closeDb, collectTopic, db, eventsOfOrder, migrate, newUser, ORDER_EVENT_TOPICS, placeUndelivered, platformOptions, seedSku, stepsOf, type TopicCollector } from './helpers';

jest.setTimeout(60000);

let p: Platform;
let kafka: TopicCollector;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  // No consumers, no schedules: only this file invokes PaymentTasks for its orders. The payment
  // steps' events stay in the outbox, unless the relay of another test file's runtime on these
  // engines sends (and deletes) them: then they are on Kafka, which `kafka` collects.
  [p, kafka] = await Promise.all([startPlatform(platformOptions({ components: ['sfn', 'aws-endpoint'] })), collectTopic(ORDER_EVENT_TOPICS)]);
});
afterAll(async () => {
  await kafka?.stop();
  await p?.stop();
  await closeDb();
});
afterEach(() => jest.restoreAllMocks());

const task = <T = unknown>(event: Record<string, unknown>): Promise<T> => p.handlers.invoke<T>('PaymentTasks', event);
/** What a call threw (name, message), or what it answered instead. */
const errorOf = async (x: Promise<unknown>) => x.then((answered) => ({ answered }), (e: Error) => ({ name: e.name, message: e.message }));
const paymentRow = async (orderId: string) =>
  (await db().query<{ status: string; capture_id: string | null; refund_id: string | null }>('SELECT status, capture_id, refund_id FROM payments WHERE order_id = $1', [orderId])).rows[0];

type Op = 'authorize' | 'capture' | 'void' | 'refund';
/** Spies on the sandbox's operations (calling through): every call the running handler makes reaches them. */
function spyProvider() {
  const spies = {
    authorize: jest.spyOn(SandboxPaymentProvider.prototype, 'authorize'),
    capture: jest.spyOn(SandboxPaymentProvider.prototype, 'capture'),
    void: jest.spyOn(SandboxPaymentProvider.prototype, 'void'),
    refund: jest.spyOn(SandboxPaymentProvider.prototype, 'refund'),
  };
  const ops = Object.keys(spies) as Op[];
  return {
    /** The idempotency keys of the calls made for this order, by operation (in call order). */
    keys(orderId: string): Record<Op, string[]> {
      const out = {} as Record<Op, string[]>;
      for (const op of ops) out[op] = spies[op].mock.calls.map((c) => (c[0] as { idempotencyKey: string }).idempotencyKey).filter((k) => k.startsWith(`${orderId}:`));
      return out;
    },
    /** The sandbox instances the calls went to (`this` of each call). */
    instances(): SandboxPaymentProvider[] {
      return [...new Set(ops.flatMap((op) => spies[op].mock.contexts as SandboxPaymentProvider[]))];
    },
  };
}

it('refunds a CAPTURED payment once: REFUNDED with its refund id, one PaymentRefunded, the same answer on a repeat, and a later capture changes nothing', async () => {
  const s = await seedSku('pay-refund', 5, 1250);
  const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 2 }], CARDS.approve);
  const provider = spyProvider();

  const { authorizationId } = await task<{ authorizationId: string }>({ action: 'authorize', orderId, amountCents: 2500, currency: 'EUR' });
  const { captureId } = await task<{ captureId: string }>({ action: 'capture', orderId });
  expect(await paymentRow(orderId)).toEqual({ status: 'CAPTURED', capture_id: captureId, refund_id: null });

  const first = await task<{ status: string; refundId: string }>({ action: 'refund', orderId });
  expect(first).toEqual({ status: 'REFUNDED', refundId: expect.stringMatching(/^ref_/) });
  const second = await task({ action: 'refund', orderId });
  expect(second).toEqual(first);
  expect(await paymentRow(orderId)).toEqual({ status: 'REFUNDED', capture_id: captureId, refund_id: first.refundId });

  // A capture after the refund (a retried or replayed CapturePayment): whatever it answers, the
  // payment stays REFUNDED, the provider is not asked again and no event is written. Whether it is
  // refused is the next test's.
  await task({ action: 'capture', orderId }).catch(() => undefined);
  expect(await paymentRow(orderId)).toEqual({ status: 'REFUNDED', capture_id: captureId, refund_id: first.refundId });

  // The provider: one call per step, each with its step's idempotency key; the repeats were answered from processed_messages.
  expect(provider.keys(orderId)).toEqual({ authorize: [`${orderId}:payment.authorize`], capture: [`${orderId}:payment.capture`], void: [], refund: [`${orderId}:payment.refund`] });
  expect(await stepsOf(orderId)).toEqual(['payment.authorize', 'payment.capture', 'payment.refund']);
  const stored = await db().query<{ result: unknown }>("SELECT result FROM processed_messages WHERE order_id = $1 AND step = 'payment.refund'", [orderId]);
  expect(stored.rows).toEqual([{ result: first }]);

  // Its events, sent (Kafka) or not (outbox), each once: one PaymentRefunded, carrying the refund id.
  const events = async () => (await eventsOfOrder(orderId, kafka, 3)).map(({ topic, event }) => ({ topic, type: event.type, data: event.data }));
  const seen = await events();
  await new Promise((r) => setTimeout(r, 1000)); // a duplicate being relayed (deleted from the outbox, not yet collected from Kafka) shows up by then
  expect(await events()).toEqual(seen);
  expect(seen).toEqual([
    { topic: 'payment-events', type: 'PaymentAuthorized', data: { orderId, authorizationId, amountCents: 2500, currency: 'EUR' } },
    { topic: 'payment-events', type: 'PaymentCaptured', data: { orderId, captureId, amountCents: 2500, currency: 'EUR' } },
    { topic: 'payment-events', type: 'PaymentRefunded', data: { orderId, refundId: first.refundId, amountCents: 2500, currency: 'EUR' } },
  ]);
});

it('a capture after the refund of a CAPTURED payment is refused (PaymentCompensatedError): the saga compensated it', async () => {
  const s = await seedSku('pay-late-capture', 5, 1000);
  const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
  await task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' });
  const { captureId } = await task<{ captureId: string }>({ action: 'capture', orderId });
  const refund = await task<{ status: string; refundId: string }>({ action: 'refund', orderId });
  // The capture step is recorded: capturePayment must check the refund BEFORE replaying the stored capture.
  const provider = spyProvider();
  const late = await errorOf(task({ action: 'capture', orderId }));
  expect(late).toMatchObject({ name: 'PaymentCompensatedError', message: `payment of order ${orderId} was already compensated` });
  expect(await paymentRow(orderId)).toEqual({ status: 'REFUNDED', capture_id: captureId, refund_id: refund.refundId });
  expect(provider.keys(orderId).capture).toEqual([]);
});

it('a capture after the void of an authorization is refused (PaymentCompensatedError), nothing captured', async () => {
  const s = await seedSku('pay-void-capture', 5, 1000);
  const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
  await task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' });
  expect(await task({ action: 'refund', orderId })).toEqual({ status: 'VOIDED', voidId: expect.stringMatching(/^void_/) });
  const provider = spyProvider();
  const late = await errorOf(task({ action: 'capture', orderId }));
  expect(late).toMatchObject({ name: 'PaymentCompensatedError', message: `payment of order ${orderId} was already compensated` });
  expect(await paymentRow(orderId)).toEqual({ status: 'VOIDED', capture_id: null, refund_id: null });
  expect(provider.keys(orderId).capture).toEqual([]);
  expect(await stepsOf(orderId)).toEqual(['payment.authorize', 'payment.refund']);
});

it(`retries the time-out card in the adapter: ${ATTEMPTS} attempts of ${TIMEOUT_MS} ms, the same idempotency key each, then TransientError and nothing recorded`, async () => {
  const s = await seedSku('pay-timeout', 5, 1000);
  const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.timeout);
  // What makes the counting below possible: the registry runs the handler module imported here.
  expect(p.handlers.load('PaymentTasks')).toBe(paymentTasks);
  const provider = spyProvider();

  const started = Date.now();
  const err = await errorOf(task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' }));
  const elapsed = Date.now() - started;
  expect(err).toEqual({ name: 'TransientError', message: `payment provider authorize timed out after ${TIMEOUT_MS} ms` });

  // Exactly ATTEMPTS calls reached the sandbox, all under the authorize step's key: counted by the
  // spy and by the sandbox's own call log (one instance: the one the handler made at its cold start).
  const key = `${orderId}:payment.authorize`;
  expect(provider.keys(orderId).authorize).toEqual(Array(ATTEMPTS).fill(key));
  const instances = provider.instances();
  expect(instances).toHaveLength(1);
  expect(instances[0]!.calls.filter((c) => c.key.startsWith(`${orderId}:`))).toEqual(Array(ATTEMPTS).fill({ op: 'authorize', key }));
  // Each attempt was cut by the adapter's timeout (not the card's 20 s delay), one after another.
  expect(elapsed).toBeGreaterThanOrEqual(ATTEMPTS * TIMEOUT_MS);
  expect(elapsed).toBeLessThan(15000); // one card delay is 20 s: far above this on any host

  // The outcome is unknown: nothing recorded; the compensation voids whatever the authorize key may hold.
  expect(await paymentRow(orderId)).toBeUndefined();
  expect(await stepsOf(orderId)).toEqual([]);
  const refund = await task<{ status: string; voidId: string }>({ action: 'refund', orderId });
  expect(refund).toEqual({ status: 'NOTHING_TO_REFUND', voidId: expect.stringMatching(/^void_/) });
  expect(provider.keys(orderId).void).toEqual([`${orderId}:payment.void`]);
  expect(await stepsOf(orderId)).toEqual(['payment.refund']);
});

describe('the payment token comes from the order row, not from the saga', () => {
  it('authorizes with the card stored on the order; a token in the input (an execution of an older definition) is ignored', async () => {
    const s = await seedSku('pay-row-token', 5, 1000);
    const declined = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.decline);
    const approved = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approveMastercard);
    const provider = spyProvider();
    expect(await errorOf(task({ action: 'authorize', orderId: declined.orderId, amountCents: 1000, currency: 'EUR', paymentToken: CARDS.approve }))).toMatchObject({ name: 'PaymentDeclinedError', message: 'payment declined: card_declined' });
    const ok = await task<{ authorizationId: string }>({ action: 'authorize', orderId: approved.orderId, amountCents: 1000, currency: 'EUR', paymentToken: CARDS.decline });
    expect(ok.authorizationId).toMatch(/_4444$/); // the sandbox ends the id with the card's last four digits
    const tokens = jest.mocked(SandboxPaymentProvider.prototype.authorize).mock.calls.map((c) => c[0].paymentToken);
    expect(tokens).toEqual([CARDS.decline, CARDS.approveMastercard]);
    expect(provider.keys(declined.orderId).authorize).toHaveLength(1);
  });

  it('a finished order keeps no token: a first authorize is refused (PaymentTokenGoneError) without a provider call, a recorded one still answers', async () => {
    const s = await seedSku('pay-finished', 5, 1000);
    const never = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    const authorized = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    const first = await task<{ authorizationId: string }>({ action: 'authorize', orderId: authorized.orderId, amountCents: 1000, currency: 'EUR' });
    // The saga's CancelOrder ends both orders (it clears the token in the same statement as the status).
    for (const o of [never, authorized]) await p.handlers.invoke('OrderTasks', { action: 'cancel', orderId: o.orderId, reason: { Error: 'TestAbort', Cause: 'test' } });
    const tokens = await db().query<{ payment_token: string | null }>('SELECT payment_token FROM orders WHERE id = ANY($1::uuid[])', [[never.orderId, authorized.orderId]]);
    expect(tokens.rows).toEqual([{ payment_token: null }, { payment_token: null }]);

    const provider = spyProvider();
    expect(await errorOf(task({ action: 'authorize', orderId: never.orderId, amountCents: 1000, currency: 'EUR' }))).toEqual({
      name: 'PaymentTokenGoneError',
      message: `order ${never.orderId} has finished and keeps no payment token; nothing to authorize`,
    });
    expect(await task({ action: 'authorize', orderId: authorized.orderId, amountCents: 1000, currency: 'EUR' })).toEqual(first);
    expect(provider.keys(never.orderId).authorize).toEqual([]);
    expect(provider.keys(authorized.orderId).authorize).toEqual([]);
    expect(await paymentRow(never.orderId)).toBeUndefined();
    // An order that does not exist: not found, no provider call.
    const ghost = '00000000-0000-4000-8000-000000000001';
    expect(await errorOf(task({ action: 'authorize', orderId: ghost, amountCents: 1000, currency: 'EUR' }))).toEqual({ name: 'NotFoundError', message: `order ${ghost} not found` });
    expect(provider.keys(ghost).authorize).toEqual([]);
  });

  it('a refund recorded while the provider authorizes (after the step read the order) voids the new hold and fails PaymentCompensatedError', async () => {
    const s = await seedSku('pay-race', 5, 1000);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    const original = SandboxPaymentProvider.prototype.authorize;
    const provider = spyProvider();
    // The compensation lands between the step's read and its provider call (the saga compensated a
    // duplicate delivery meanwhile): the first provider attempt records the refund, then authorizes.
    jest.mocked(SandboxPaymentProvider.prototype.authorize).mockImplementationOnce(async function (this: SandboxPaymentProvider, req, signal) {
      await task({ action: 'refund', orderId });
      return original.call(this, req, signal);
    });
    expect(await errorOf(task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' }))).toMatchObject({ name: 'PaymentCompensatedError' });
    expect(provider.keys(orderId).void).toEqual([`${orderId}:payment.void`, `${orderId}:payment.void-late`]);
    expect(await paymentRow(orderId)).toBeUndefined();
    expect(await stepsOf(orderId)).toEqual(['payment.refund']);
  });
});

describe('a refund that has begun (payment.refund-begun, recorded before the provider call)', () => {
  it('a capture repeated after a refund whose record was lost is refused; the repeated refund gets the provider its same refund', async () => {
    const s = await seedSku('pay-begun-replay', 5, 1000);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' });
    const { captureId } = await task<{ captureId: string }>({ action: 'capture', orderId });
    const original = SandboxPaymentProvider.prototype.refund;
    const provider = spyProvider();
    let tookIt: string | undefined;
    // Every attempt of the adapter's retry reaches the provider, which refunds (the same refund: one
    // idempotency key), and then fails as if the process died before the record.
    jest.mocked(SandboxPaymentProvider.prototype.refund).mockImplementation(async function (this: SandboxPaymentProvider, req, signal) {
      tookIt = (await original.call(this, req, signal)).refundId;
      throw new Error('the process died after the provider refunded');
    });
    expect(await errorOf(task({ action: 'refund', orderId }))).toMatchObject({ message: 'payment provider refund failed: the process died after the provider refunded' });
    jest.mocked(SandboxPaymentProvider.prototype.refund).mockImplementation(function (this: SandboxPaymentProvider, req, signal) {
      return original.call(this, req, signal);
    });
    expect(await paymentRow(orderId)).toEqual({ status: 'CAPTURED', capture_id: captureId, refund_id: null });
    // A restarted execution replays CapturePayment: it must not answer the stored capture.
    expect(await errorOf(task({ action: 'capture', orderId }))).toMatchObject({ name: 'PaymentCompensatedError' });
    const again = await task<{ status: string; refundId: string }>({ action: 'refund', orderId });
    expect(again).toEqual({ status: 'REFUNDED', refundId: tookIt });
    expect(provider.keys(orderId).refund).toEqual(Array(ATTEMPTS + 1).fill(`${orderId}:payment.refund`));
    expect(provider.keys(orderId).capture).toEqual([]);
    expect(await paymentRow(orderId)).toEqual({ status: 'REFUNDED', capture_id: captureId, refund_id: tookIt });
  });

  it('a begun record left beside a recorded refund (a concurrent RefundPayment wrote it late) is removed by the next RefundPayment', async () => {
    const s = await seedSku('pay-begun-leftover', 5, 1000);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' });
    const first = await task({ action: 'refund', orderId });
    expect(await stepsOf(orderId)).toEqual(['payment.authorize', 'payment.refund']);
    await db().query("INSERT INTO processed_messages (order_id, step) VALUES ($1, 'payment.refund-begun')", [orderId]);
    expect(await task({ action: 'refund', orderId })).toEqual(first);
    expect(await stepsOf(orderId)).toEqual(['payment.authorize', 'payment.refund']);
  });

  it('a void that finds the payment captured meanwhile: the retried refund carries its own idempotency key (the provider would refuse the void\'s) and refunds the capture', async () => {
    const s = await seedSku('pay-void-then-refund', 5, 1000);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' });
    const original = SandboxPaymentProvider.prototype.void;
    const provider = spyProvider();
    // The refund read AUTHORIZED and voids; meanwhile the other execution's capture commits.
    jest.mocked(SandboxPaymentProvider.prototype.void).mockImplementationOnce(async function (this: SandboxPaymentProvider, req, signal) {
      const out = await original.call(this, req, signal);
      await task({ action: 'capture', orderId });
      return out;
    });
    expect(await errorOf(task({ action: 'refund', orderId }))).toMatchObject({ name: 'TransientError', message: expect.stringContaining('changed while refunding (AUTHORIZED -> CAPTURED)') });
    // The state machine retries RefundPayment: now it refunds the capture, under the refund's key.
    expect(await task({ action: 'refund', orderId })).toEqual({ status: 'REFUNDED', refundId: expect.stringMatching(/^ref_/) });
    expect(provider.keys(orderId)).toMatchObject({ void: [`${orderId}:payment.void`], capture: [`${orderId}:payment.capture`], refund: [`${orderId}:payment.refund`] });
    expect((await paymentRow(orderId))?.status).toBe('REFUNDED');
  });

  it('a first capture while a refund has begun and not finished (two executions at once) commits, and that refund then refunds it', async () => {
    const s = await seedSku('pay-begun-capture', 5, 1000);
    const { orderId } = await placeUndelivered(newUser(), [{ sku: s, quantity: 1 }], CARDS.approve);
    await task({ action: 'authorize', orderId, amountCents: 1000, currency: 'EUR' });
    const original = SandboxPaymentProvider.prototype.capture;
    spyProvider();
    // The other execution's RefundPayment records its start while this capture is at the provider.
    jest.mocked(SandboxPaymentProvider.prototype.capture).mockImplementationOnce(async function (this: SandboxPaymentProvider, req, signal) {
      await db().query("INSERT INTO processed_messages (order_id, step) VALUES ($1, 'payment.refund-begun')", [orderId]);
      return original.call(this, req, signal);
    });
    const { captureId } = await task<{ captureId: string }>({ action: 'capture', orderId });
    expect(await paymentRow(orderId)).toEqual({ status: 'CAPTURED', capture_id: captureId, refund_id: null });
    // The refund (retried, as the state machine retries it after "payment changed while refunding") refunds the capture.
    expect(await task({ action: 'refund', orderId })).toEqual({ status: 'REFUNDED', refundId: expect.stringMatching(/^ref_/) });
    expect((await paymentRow(orderId))?.status).toBe('REFUNDED');
  });
});
