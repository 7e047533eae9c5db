/**
 * The SES sender's SDK calls against the local AWS endpoint over HTTP (the SESv2 REST request as the
 * SDK builds and signs it): what SES gets, the MessageId returned, a refusal of the message (a plain
 * error naming SES's reason) and an endpoint that is not there (TransientError).
 */
process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'local';
process.env.AWS_SECRET_ACCESS_KEY = 'local';

import { createServer } from 'node:net';
import { SesEmailSender } from '../../../functions/notification/adapters/ses-sender';
import { startAwsEndpoint, type AwsEndpoint } from '../../../local/runtime/aws-endpoint';
import { LocalMailbox } from '../../../local/runtime/mailbox';

const mail = new LocalMailbox();
let endpoint: AwsEndpoint;
beforeAll(async () => {
  endpoint = await startAwsEndpoint({ mail, port: 0, inProcess: false });
  process.env.AWS_ENDPOINT_URL_SESV2 = endpoint.url;
});
afterAll(async () => {
  await endpoint.close();
});

const message = { to: 'buyer@example.com', subject: 'Your order 1234abcd is confirmed', body: 'Total: €12.50', notificationId: '00000000-0000-4000-8000-000000000001' };

it('sends a simple text mail and returns the MessageId SES answered', async () => {
  const { messageId } = await new SesEmailSender({ from: 'Shop <no-reply@shop.test>' }).send(message);
  expect(mail.messages).toEqual([{ messageId, from: 'Shop <no-reply@shop.test>', to: ['buyer@example.com'], subject: message.subject, text: message.body, receivedAt: expect.any(Date) }]);
});

it('reports a refused message as EmailRejectedError naming the reason, not as transient', async () => {
  const err = await new SesEmailSender({ from: 'no-reply@shop.test' }).send({ ...message, to: 'not-an-address' }).catch((e: Error) => e);
  expect(err).toMatchObject({ name: 'EmailRejectedError', message: expect.stringMatching(/SES refused the message \(BadRequestException\): Destination.ToAddresses/) });
});

it('fails transiently when SES cannot be reached', async () => {
  const free = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
  const saved = process.env.AWS_ENDPOINT_URL_SESV2;
  process.env.AWS_ENDPOINT_URL_SESV2 = `http://127.0.0.1:${free}`;
  try {
    const err = await new SesEmailSender({ from: 'no-reply@shop.test', timeoutMs: 500 }).send(message).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'TransientError', message: expect.stringMatching(/SES SendEmail failed/) });
  } finally {
    process.env.AWS_ENDPOINT_URL_SESV2 = saved;
  }
});
