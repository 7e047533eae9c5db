import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { TransientError } from '../../shared/errors';
import { traced } from '../../shared/powertools';
import { EmailRejectedError, type EmailMessage, type EmailSender } from '../domain/ports';

/**
 * The Amazon SES sender (SES API v2 `SendEmail`), the deployed default. The function's own role
 * signs the call (`ses:SendEmail` on the sending identity only, for its From address only: no
 * long-lived credentials); from the VPC it leaves through the NAT gateway (SES's API has no VPC
 * endpoint). Locally the runtime's AWS endpoint answers SendEmail and keeps the message
 * (AWS_ENDPOINT_URL_SESV2), so the same code runs on both.
 *
 * Failures: a refusal of this message (MessageRejected, e.g. an unverified recipient while the
 * account is in the SES sandbox; BadRequestException, e.g. a malformed address) is
 * EmailRejectedError (the row becomes FAILED, the event goes to dead-letter). Everything else is
 * TransientError and fails the batch, which is delivered again: throttling, 5xx and network errors,
 * and account-level refusals (the sending identity not verified, sending paused, the account
 * suspended, access denied), which hold every message until an operator fixes them, so those
 * messages wait rather than being dropped. The SDK tries 3 times, each request bounded by `timeoutMs`.
 */
export interface SesSenderOptions {
  /** The From address: an address of a verified SES identity. */
  readonly from: string;
  /** SES configuration set (reputation metrics, event destinations); none when undefined. */
  readonly configurationSet?: string | undefined;
  /** Per request, ms. @default 5000 */
  readonly timeoutMs?: number;
}

/** SES's answers that refuse this one message; any other error is about SES or the account. */
const MESSAGE_REJECTED = new Set(['MessageRejected', 'BadRequestException']);

export class SesEmailSender implements EmailSender {
  private readonly client: SESv2Client;

  constructor(private readonly opts: SesSenderOptions) {
    const timeout = opts.timeoutMs ?? 5000;
    // throwOnRequestTimeout: without it an exceeded requestTimeout only logs a warning (functions/shared/outbox.ts).
    this.client = traced(new SESv2Client({ maxAttempts: 3, requestHandler: { connectionTimeout: timeout, requestTimeout: timeout, throwOnRequestTimeout: true } }));
  }

  async send(message: EmailMessage): Promise<{ messageId: string }> {
    const input: SendEmailCommandInput = {
      FromEmailAddress: this.opts.from,
      Destination: { ToAddresses: [message.to] },
      Content: { Simple: { Subject: { Data: message.subject, Charset: 'UTF-8' }, Body: { Text: { Data: message.body, Charset: 'UTF-8' } } } },
      EmailTags: [{ Name: 'notification', Value: message.notificationId }],
      ...(this.opts.configurationSet ? { ConfigurationSetName: this.opts.configurationSet } : {}),
    };
    try {
      const out = await this.client.send(new SendEmailCommand(input));
      if (!out.MessageId) throw new TransientError('SES SendEmail answered without a MessageId');
      return { messageId: out.MessageId };
    } catch (err) {
      if (err instanceof TransientError) throw err;
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (MESSAGE_REJECTED.has(e.name)) throw new EmailRejectedError(`SES refused the message (${e.name}): ${e.message}`);
      throw new TransientError(`SES SendEmail failed (${e.name}${status ? ` ${status}` : ''}): ${e.message}`);
    }
  }
}
