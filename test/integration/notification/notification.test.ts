/**
 * The notification consumer on the real engines: MSK batches (as the order-completed, order-failed
 * and user-events event source mappings deliver them) handed to the NotificationConsumer handler,
 * PostgreSQL (users, notifications: the local outbox), Kafka (dead-letter).
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { randomUUID } from 'node:crypto';
import { buildMskEvent, createTopics, startPlatform, type Platform } from '../../../local/runtime';
import { endpoints } from '../../../local/engines/endpoints';
import { manifest } from '../../../lib/manifest';
import { envelope } from '../../../functions/shared/events';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { LocalEmailSender } from '../../../functions/notification/adapters/local-sender';
import { EmailRejectedError } from '../../../functions/notification/domain/ports';
import type { ConsumerResult } from '../../../functions/notification/handlers/consumer';
import { closeDb, collectTopic, db, migrate, until, type TopicCollector } from '../saga/helpers';

jest.setTimeout(60000);

let p: Platform;
let kafka: TopicCollector;
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  kafka = await collectTopic(['dead-letter']);
  p = await startPlatform({ components: [], port: 0, awsPort: 0, executionStore: 'memory' });
});
afterAll(async () => {
  await kafka?.stop();
  await closeProducer();
  await p?.stop();
  await closeDb();
});
afterEach(() => jest.restoreAllMocks());

async function registeredUser(): Promise<{ userId: string; email: string }> {
  const userId = randomUUID();
  const email = `notify-${userId.slice(0, 8)}@example.com`;
  await db().query('INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)', [userId, email, 'x'.repeat(60)]);
  return { userId, email };
}

type Msg = { topic: string; value: string };
const msg = (topic: string, event: unknown): Msg => ({ topic, value: typeof event === 'string' ? event : JSON.stringify(event) });

/** One MSK batch, grouped by topic (partition 0), as the event source mapping delivers it. */
async function deliver(...msgs: Msg[]): Promise<ConsumerResult> {
  const topics = [...new Set(msgs.map((m) => m.topic))];
  const parts = topics.map((topic) => ({
    topic,
    partition: 0,
    messages: msgs
      .filter((m) => m.topic === topic)
      .map((m, i) => ({ key: Buffer.from('k'), value: Buffer.from(m.value), offset: String(i), timestamp: String(Date.now()), headers: {} })) as never[],
  }));
  return p.handlers.invoke<ConsumerResult>('NotificationConsumer', buildMskEvent(parts, endpoints().kafkaBrokers));
}

function completed(userId: string, amountCents = 12345, currency = 'EUR') {
  const orderId = randomUUID();
  return envelope({ type: 'OrderCompleted', source: 'shop.order', orderId, data: { orderId, userId, amountCents, currency } });
}
function failed(userId: string, error: string) {
  const orderId = randomUUID();
  return envelope({ type: 'OrderFailed', source: 'shop.order', orderId, data: { orderId, userId, error, cause: 'details for operators' } });
}

interface Row {
  template: string;
  user_id: string;
  channel: string;
  recipient: string | null;
  subject: string;
  body: string;
  status: string;
  provider_message_id: string | null;
  attempts: number;
  sent_at: Date | null;
}
async function rowsOf(eventId: string): Promise<Row[]> {
  return (await db().query<Row>('SELECT template, user_id, channel, recipient, subject, body, status, provider_message_id, attempts, sent_at FROM notifications WHERE event_id = $1 ORDER BY template', [eventId])).rows;
}

describe('NotificationConsumer', () => {
  it('sends the order confirmation, the cancellation and the welcome to the account address, once across redeliveries', async () => {
    const { userId, email } = await registeredUser();
    const ok = completed(userId, 12345, 'EUR');
    const ko = failed(userId, 'OutOfStockError');
    const hello = envelope({ type: 'UserRegistered', source: 'shop.user', data: { userId, email } });
    const other = envelope({ type: 'UserLoggedIn', source: 'shop.user', data: { userId } });
    const spy = jest.spyOn(LocalEmailSender.prototype, 'send');
    const batch = [msg('order-completed', ok), msg('order-failed', ko), msg('user-events', hello), msg('user-events', other)];

    expect(await deliver(...batch)).toEqual({ sent: 3, rejected: 0, duplicates: 0, noAddress: 0, ignored: 1, deadLettered: 0 });
    expect(spy).toHaveBeenCalledTimes(3);

    const okId = (ok.data as { orderId: string }).orderId;
    const koId = (ko.data as { orderId: string }).orderId;
    const [confirmed] = await rowsOf(ok.id);
    expect(confirmed).toMatchObject({ template: 'order-confirmed', user_id: userId, channel: 'email', recipient: email, status: 'SENT', attempts: 1, subject: `Your order ${okId.slice(0, 8)} is confirmed` });
    expect(confirmed!.body).toContain('€123.45');
    expect(confirmed!.body).toContain(okId);
    expect(confirmed!.provider_message_id).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(confirmed!.sent_at).toBeInstanceOf(Date);
    const [cancelled] = await rowsOf(ko.id);
    expect(cancelled).toMatchObject({ template: 'order-cancelled', recipient: email, status: 'SENT', attempts: 1, subject: `Your order ${koId.slice(0, 8)} was cancelled` });
    expect(cancelled!.body).toContain('because an item in it is out of stock');
    expect(cancelled!.body).not.toContain('details for operators');
    const [welcome] = await rowsOf(hello.id);
    expect(welcome).toMatchObject({ template: 'welcome', recipient: email, status: 'SENT', subject: 'Welcome to the shop' });
    expect(await rowsOf(other.id)).toEqual([]);
    // What the sender was handed is what the rows say.
    expect(spy.mock.calls.map(([m]) => m.to)).toEqual([email, email, email]);
    expect(spy.mock.calls.map(([m]) => m.subject).sort()).toEqual([confirmed!.subject, cancelled!.subject, welcome!.subject].sort());

    // The same batch again (a redelivery): nothing new, nothing sent.
    expect(await deliver(...batch)).toEqual({ sent: 0, rejected: 0, duplicates: 3, noAddress: 0, ignored: 1, deadLettered: 0 });
    expect(spy).toHaveBeenCalledTimes(3);
    const counted = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE event_id = ANY($1::uuid[])', [[ok.id, ko.id, hello.id]]);
    expect(counted.rows[0]!.n).toBe(3);
    expect((await rowsOf(ok.id))[0]).toEqual(confirmed);
  });

  it('sends once when the same event is delivered to two invocations at the same time', async () => {
    const { userId } = await registeredUser();
    const ok = completed(userId);
    const real = LocalEmailSender.prototype.send;
    // A slow provider: the second delivery reaches the row while the first is still sending.
    const spy = jest.spyOn(LocalEmailSender.prototype, 'send').mockImplementation(async function (this: LocalEmailSender, m) {
      await new Promise((r) => setTimeout(r, 200));
      return real.call(this, m);
    });
    const results = await Promise.all([deliver(msg('order-completed', ok)), deliver(msg('order-completed', ok))]);
    expect(results.map((r) => r.sent).sort()).toEqual([0, 1]);
    expect(results.map((r) => r.duplicates).sort()).toEqual([0, 1]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(await rowsOf(ok.id)).toEqual([expect.objectContaining({ status: 'SENT', attempts: 1 })]);
  });

  it('records NO_ADDRESS and sends nothing for a user without an account', async () => {
    const spy = jest.spyOn(LocalEmailSender.prototype, 'send');
    const uuidUser = completed(randomUUID());
    const devUser = failed(`user-${randomUUID().slice(0, 8)}`, 'PaymentDeclinedError'); // not a uuid (a dev token's sub)
    expect(await deliver(msg('order-completed', uuidUser), msg('order-failed', devUser))).toEqual({ sent: 0, rejected: 0, duplicates: 0, noAddress: 2, ignored: 0, deadLettered: 0 });
    expect(spy).not.toHaveBeenCalled();
    expect((await rowsOf(uuidUser.id))[0]).toMatchObject({ status: 'NO_ADDRESS', recipient: null, attempts: 0, provider_message_id: null, sent_at: null });
    expect((await rowsOf(devUser.id))[0]).toMatchObject({ status: 'NO_ADDRESS', recipient: null, template: 'order-cancelled' });
    expect((await rowsOf(devUser.id))[0]!.body).toContain('because the payment was declined');
    // Delivered again: still one row each, still nothing sent.
    expect(await deliver(msg('order-completed', uuidUser), msg('order-failed', devUser))).toEqual({ sent: 0, rejected: 0, duplicates: 0, noAddress: 2, ignored: 0, deadLettered: 0 });
    expect(spy).not.toHaveBeenCalled();
    expect(await rowsOf(uuidUser.id)).toHaveLength(1);
  });

  it('sends poison messages to dead-letter with their error and handles the rest of the batch', async () => {
    const { userId, email } = await registeredUser();
    const good = completed(userId);
    const marker = randomUUID();
    const notJson = `not json ${marker}`;
    const badData = { ...completed(userId), data: { orderId: marker, userId } }; // no amount, no currency
    expect(await deliver(msg('order-completed', notJson), msg('order-completed', good), msg('order-completed', badData))).toEqual({ sent: 1, rejected: 0, duplicates: 0, noAddress: 0, ignored: 0, deadLettered: 2 });
    expect((await rowsOf(good.id))[0]).toMatchObject({ status: 'SENT', recipient: email });
    expect(await rowsOf(badData.id)).toEqual([]);
    const dead = await until('the dead-letter records', () => {
      const mine = kafka.messages.filter((m) => m.topic === 'dead-letter' && m.value?.source === 'notification-consumer' && Buffer.from(String(m.value.value), 'base64').toString('utf8').includes(marker));
      return mine.length >= 2 ? mine : undefined;
    }, 20000);
    expect(dead.map((d) => d.value.error).sort()).toEqual([expect.stringMatching(/^OrderCompleted data: amountCents: .*; currency: /), 'not JSON']);
    expect(dead.every((d) => d.value.topic === 'order-completed')).toBe(true);
  });

  it('marks a message the provider refuses for good FAILED, dead-letters its event and sends the rest of the batch; a redelivery sends nothing', async () => {
    const refused = await registeredUser();
    const fine = await registeredUser();
    const bad = completed(refused.userId);
    const good = completed(fine.userId);
    const original = LocalEmailSender.prototype.send;
    const spy = jest.spyOn(LocalEmailSender.prototype, 'send').mockImplementation(async function (this: LocalEmailSender, m) {
      if (m.to === refused.email) throw new EmailRejectedError('SES refused the message (MessageRejected): Email address is not verified');
      return original.call(this, m);
    });
    expect(await deliver(msg('order-completed', bad), msg('order-completed', good))).toEqual({ sent: 1, rejected: 1, duplicates: 0, noAddress: 0, ignored: 0, deadLettered: 1 });
    const [row] = await db().query<{ status: string; last_error: string | null; attempts: number; sent_at: Date | null }>('SELECT status, last_error, attempts, sent_at FROM notifications WHERE event_id = $1', [bad.id]).then((r) => r.rows);
    expect(row).toEqual({ status: 'FAILED', last_error: expect.stringContaining('Email address is not verified'), attempts: 1, sent_at: null });
    expect((await rowsOf(good.id))[0]).toMatchObject({ status: 'SENT' });
    const dead = await until('the refused event on dead-letter', () =>
      kafka.messages.find((m) => m.topic === 'dead-letter' && m.value?.source === 'notification-consumer' && String(m.value?.error).includes(bad.id)),
    );
    expect(dead.value.error).toMatch(/order-confirmed of event .* refused: SES refused the message \(MessageRejected\)/);
    // Delivered again: the FAILED row is not sent again, nothing more is dead-lettered.
    expect(await deliver(msg('order-completed', bad))).toEqual({ sent: 0, rejected: 0, duplicates: 1, noAddress: 0, ignored: 0, deadLettered: 0 });
    expect(spy.mock.calls.filter(([m]) => m.to === refused.email)).toHaveLength(1);
  });

  it('fails the batch when the send fails, keeping the row PENDING with the attempt counted, and sends it on redelivery', async () => {
    const { userId, email } = await registeredUser();
    const ok = completed(userId);
    const spy = jest.spyOn(LocalEmailSender.prototype, 'send').mockRejectedValueOnce(new Error('provider unavailable'));
    await expect(deliver(msg('order-completed', ok))).rejects.toThrow('provider unavailable');
    expect((await rowsOf(ok.id))[0]).toMatchObject({ status: 'PENDING', recipient: email, attempts: 1, provider_message_id: null, sent_at: null });
    expect(await deliver(msg('order-completed', ok))).toEqual({ sent: 1, rejected: 0, duplicates: 0, noAddress: 0, ignored: 0, deadLettered: 0 });
    expect((await rowsOf(ok.id))[0]).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
