/**
 * The SMTP sender against a real SMTP server over real TCP (the local runtime's SES stand-in,
 * smtp-server): what arrives, the ids, AUTH, refusals, an unreachable server, TLS required on the
 * AWS configuration, and the SES SMTP password derivation (known answers computed with an
 * independent implementation: Python's hmac, AWS's documented algorithm).
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import { createServer } from 'node:net';
import { providerMessageId, sesSmtpPassword, SmtpEmailSender } from '../../../functions/notification/adapters/smtp-sender';
import { resolveSender } from '../../../functions/notification/handlers/consumer';
import { LocalSmtpServer } from '../../../local/runtime/smtp';

let server: LocalSmtpServer;
const senders: SmtpEmailSender[] = [];
beforeAll(async () => {
  server = await new LocalSmtpServer().start(0);
});
afterAll(async () => {
  for (const s of senders) s.close();
  await server.stop();
});

function senderFor(url: string, extra: Partial<ConstructorParameters<typeof SmtpEmailSender>[0]> = {}): SmtpEmailSender {
  const u = new URL(url);
  const s = new SmtpEmailSender({ host: u.hostname, port: Number(u.port), requireTls: false, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), from: 'Shop <no-reply@shop.test>', timeoutMs: 2000, ...extra });
  senders.push(s);
  return s;
}
const message = (n: string) => ({ to: `buyer-${n}@example.com`, subject: `Your order ${n} is confirmed`, body: `Order ${n}\nTotal: €12.50`, notificationId: `00000000-0000-4000-8000-${n.padStart(12, '0')}` });

it('delivers the message over SMTP: envelope, headers and text as given, the server id returned, a Message-ID from the notification id', async () => {
  const s = senderFor(server.url);
  const m = message('1');
  const { messageId } = await s.send(m);
  const got = await server.waitFor((x) => x.to.includes(m.to));
  expect(got).toMatchObject({ from: 'no-reply@shop.test', to: [m.to], subject: m.subject, text: `${m.body}\n`, headerMessageId: `<${m.notificationId}@notifications.shop>` });
  expect(messageId).toBe(got.messageId);
  // The same notification sent again carries the same Message-ID (a receiver can drop the duplicate).
  await s.send(m);
  expect(server.messages.filter((x) => x.to.includes(m.to)).map((x) => x.headerMessageId)).toEqual([got.headerMessageId, got.headerMessageId]);
});

it('fails on wrong credentials as transient (the account, not the message: it waits), sending nothing', async () => {
  const before = server.messages.length;
  const wrong = new URL(server.url);
  wrong.password = 'nope';
  await expect(senderFor(wrong.toString()).send(message('2'))).rejects.toMatchObject({ name: 'TransientError', message: expect.stringMatching(/535/) });
  expect(server.messages.length).toBe(before);
});

it('tells a permanent refusal (5xx) from a transient one (4xx)', async () => {
  const s = senderFor(server.url);
  server.refuseNext(550, 'mailbox unavailable');
  await expect(s.send(message('3'))).rejects.toMatchObject({ name: 'EmailRejectedError', message: expect.stringMatching(/refused the message \(550\).*mailbox unavailable/) });
  server.refuseNext(451, 'try again later');
  await expect(s.send(message('4'))).rejects.toMatchObject({ name: 'TransientError', message: expect.stringMatching(/451|try again later/) });
});

it('fails transiently, and quickly, when no server listens', async () => {
  const free = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
  const t0 = Date.now();
  await expect(senderFor(`smtp://u:p@127.0.0.1:${free}`).send(message('5'))).rejects.toMatchObject({ name: 'TransientError', message: expect.stringMatching(/ECONNREFUSED/) });
  expect(Date.now() - t0).toBeLessThan(5000);
});

it('the AWS configuration (SMTP_HOST + the IAM user secret) derives the SES password and refuses a server without STARTTLS', async () => {
  const secrets: string[] = [];
  const sender = await resolveSender(
    { NOTIFICATION_SENDER: 'smtp', AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'us-east-1', SMTP_HOST: '127.0.0.1', SMTP_PORT: server.listeningPort, SMTP_SECRET_ARN: 'arn:secret', NOTIFICATION_FROM: 'no-reply@shop.test' },
    async (arn) => {
      secrets.push(arn);
      return JSON.stringify({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    },
  );
  expect(secrets).toEqual(['arn:secret']);
  expect(sender).toBeInstanceOf(SmtpEmailSender);
  const s = sender as SmtpEmailSender;
  senders.push(s);
  const before = server.messages.length;
  await expect(s.send(message('6'))).rejects.toThrow(/STARTTLS|TLS/i);
  expect(server.messages.length).toBe(before);
});

it('derives the SES SMTP password (version 4) per region', () => {
  const key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  expect(sesSmtpPassword(key, 'us-east-1')).toBe('BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9');
  expect(sesSmtpPassword(key, 'eu-west-1')).toBe('BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk');
});

it('reads the SES message id from its 250 answer', () => {
  expect(providerMessageId('250 Ok 0100018c-abc-000000')).toBe('0100018c-abc-000000');
  expect(providerMessageId('250 OK: message queued')).toBeUndefined();
  expect(providerMessageId(undefined)).toBeUndefined();
});
