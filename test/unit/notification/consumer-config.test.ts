/**
 * The consumer's sender choice: `smtp` (SmtpEmailSender; SMTP_URL locally, SES's SMTP endpoint and
 * the sending IAM user's secret on AWS) or `local` (sends nothing), which is refused in Lambda (it
 * would mark notifications SENT without sending them), as is a Lambda without NOTIFICATION_SENDER:
 * such a consumer loads (the CDK bundle check) but fails every batch before touching a store.
 */
import type { MSKEvent } from 'aws-lambda';
import { LocalEmailSender } from '../../../functions/notification/adapters/local-sender';
import { SmtpEmailSender } from '../../../functions/notification/adapters/smtp-sender';

type Mod = typeof import('../../../functions/notification/handlers/consumer');
function load(env: Record<string, string | undefined>): Mod {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    let mod: Mod | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('../../../functions/notification/handlers/consumer') as Mod;
    });
    return mod!;
  } finally {
    process.env = saved;
  }
}
const batch = { eventSource: 'aws:kafka', records: { 'order-completed-0': [{ topic: 'order-completed', partition: 0, offset: 0, value: 'bm90IGpzb24=' }] } } as unknown as MSKEvent;

describe('NotificationConsumer sender config', () => {
  it('uses the local sender outside Lambda by default, and SMTP when asked', async () => {
    const m = load({ NOTIFICATION_SENDER: undefined, AWS_LAMBDA_FUNCTION_NAME: undefined });
    // (classes of the isolated module registry: compared by name)
    const kind = (x: unknown) => (typeof x === 'string' ? x : (x as object).constructor.name);
    expect(kind(await m.resolveSender({}))).toBe(LocalEmailSender.name);
    expect(kind(await m.resolveSender({ NOTIFICATION_SENDER: 'local' }))).toBe(LocalEmailSender.name);
    const smtp = await m.resolveSender({ NOTIFICATION_SENDER: 'smtp', SMTP_URL: 'smtp://u:p@127.0.0.1:2525?requireTls=false' });
    expect(kind(smtp)).toBe(SmtpEmailSender.name);
    (smtp as SmtpEmailSender).close();
    expect(kind(await m.resolveSender({ NOTIFICATION_SENDER: 'ses', NOTIFICATION_FROM: 'no-reply@shop.test' }))).toBe('SesEmailSender');
    expect(await m.resolveSender({ NOTIFICATION_SENDER: 'smtp' })).toMatch(/needs SMTP_URL, or SMTP_HOST, SMTP_SECRET_ARN and AWS_REGION/);
    expect(await m.resolveSender({ NOTIFICATION_SENDER: 'smtp', SMTP_URL: 'http://x:1' })).toMatch(/SMTP_URL must be smtp/);
  });

  it('has no sender in Lambda without ses or smtp: the handler loads but refuses every batch before reading it', async () => {
    const m = load({ NOTIFICATION_SENDER: undefined, AWS_LAMBDA_FUNCTION_NAME: 'fn' });
    expect(await m.resolveSender({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toMatch(/in Lambda it must be ses or smtp/);
    expect(await m.resolveSender({ AWS_LAMBDA_FUNCTION_NAME: 'fn', NOTIFICATION_SENDER: 'local' })).toMatch(/refused in Lambda/);
    expect(await m.resolveSender({ AWS_LAMBDA_FUNCTION_NAME: 'fn', NOTIFICATION_SENDER: 'smtp', SMTP_URL: 'smtp://u:p@127.0.0.1:2525?requireTls=false' })).toMatch(/requireTls=false is refused in Lambda/);
    await expect(m.handler(batch)).rejects.toThrow(/notification sender unavailable: NOTIFICATION_SENDER is not set: in Lambda it must be ses or smtp/);
    const local = load({ NOTIFICATION_SENDER: 'local', AWS_LAMBDA_FUNCTION_NAME: 'fn' });
    await expect(local.handler(batch)).rejects.toThrow(/refused in Lambda/);
  });

  it('fails at load on an unknown sender', () => {
    expect(() => load({ NOTIFICATION_SENDER: 'sns', AWS_LAMBDA_FUNCTION_NAME: undefined })).toThrow(/NOTIFICATION_SENDER/);
  });
});
