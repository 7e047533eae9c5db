/**
 * Notification email end to end on the engines, as `npm start` runs it: a customer registers through
 * the gateway (PostgreSQL, the outbox, Kafka user-events), the NotificationConsumer consumes it and
 * sends the welcome mail with the SES API v2 client through the runtime's AWS endpoint, which keeps
 * it (`p.mail`); then an OrderCompleted on Kafka for that customer becomes the order-confirmed mail.
 * Each mail is checked as SES got it and against its notifications row (SENT, SES's MessageId).
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { randomUUID } from 'node:crypto';
import { createTopics, kafkaClient, startPlatform, type Platform } from '../../../local/runtime';
import { endpoints } from '../../../local/engines/endpoints';
import { manifest } from '../../../lib/manifest';
import { envelope } from '../../../functions/shared/events';
import { closeDb, db, migrate, platformOptions, until } from '../saga/helpers';

jest.setTimeout(90000);

let p: Platform;
const producer = kafkaClient(endpoints().kafkaBrokers).producer();
beforeAll(async () => {
  await Promise.all([migrate(), createTopics(manifest, endpoints().kafkaBrokers)]);
  p = await startPlatform(platformOptions({ components: ['gateway', 'consumers', 'aws-endpoint'] }));
  await producer.connect();
});
afterAll(async () => {
  await producer.disconnect();
  await p?.stop();
  await closeDb();
});

const rowOf = (userId: string, template: string) =>
  until(`a ${template} notification of ${userId}`, async () => {
    const r = await db().query<{ status: string; recipient: string; provider_message_id: string | null; subject: string }>('SELECT status, recipient, provider_message_id, subject FROM notifications WHERE user_id = $1 AND template = $2', [userId, template]);
    return r.rows[0]?.status === 'SENT' ? r.rows[0] : undefined;
  }, 30000);

it('sends the welcome mail of a new account and the confirmation of its order through SES (the local AWS endpoint)', async () => {
  const email = `mail-${randomUUID().slice(0, 8)}@example.com`;
  const res = await fetch(`${p.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse battery staple', name: 'Mia' }) });
  expect(res.status).toBe(201);
  const { userId } = (await res.json()) as { userId: string };

  const welcome = await p.mail.waitFor((m) => m.to.includes(email) && /Welcome/.test(m.subject), 30000);
  expect(welcome).toMatchObject({ from: 'Shop <no-reply@shop.local>', to: [email], subject: 'Welcome to the shop' });
  expect(welcome.text).toContain(email);
  expect(await rowOf(userId, 'welcome')).toEqual({ status: 'SENT', recipient: email, provider_message_id: welcome.messageId, subject: 'Welcome to the shop' });

  const orderId = randomUUID();
  const completed = envelope({ type: 'OrderCompleted', source: 'shop.order', orderId, data: { orderId, userId, amountCents: 4250, currency: 'EUR' } });
  await producer.send({ topic: 'order-completed', messages: [{ key: orderId, value: JSON.stringify(completed) }] });
  const confirmed = await p.mail.waitFor((m) => m.to.includes(email) && m.subject.includes(orderId.slice(0, 8)), 30000);
  expect(confirmed.subject).toBe(`Your order ${orderId.slice(0, 8)} is confirmed`);
  expect(confirmed.text).toContain('€42.50');
  expect(await rowOf(userId, 'order-confirmed')).toMatchObject({ status: 'SENT', provider_message_id: confirmed.messageId });

  // The same event again (a redelivery): no second mail.
  await producer.send({ topic: 'order-completed', messages: [{ key: orderId, value: JSON.stringify(completed) }] });
  await new Promise((r) => setTimeout(r, 1500));
  expect(p.mail.messages.filter((m) => m.subject.includes(orderId.slice(0, 8)))).toHaveLength(1);
});
