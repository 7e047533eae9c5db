import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { TransientError } from '../../shared/errors';
import { traced } from '../../shared/powertools';
import type { EmailMessage, EmailSender } from '../domain/ports';

/**
 * The Amazon SES sender (SES API v2 `SendEmail`), the deployed default. The function's own role
 * signs the call (`ses:SendEmail` on the sending identity only, for its From address only: no
 * long-lived credentials); from the VPC it leaves through the NAT gateway (SES's API has no VPC
 * endpoint). Locally the runtime's AWS endpoint answers SendEmail and keeps the message
 * (AWS_ENDPOINT_URL_SESV2), so the same code runs on both.
 *
 * Failures: throttling, 5xx and network errors are TransientError (the batch fails and is
 * delivered again; nothing was sent); a refusal of the message itself (MessageRejected, an unverified
 * sender, the account paused) is a plain Error naming SES's reason. The SDK retries 3 times, each
 * request bounded by `timeoutMs`.
 */
export interface SesSenderOptions {
  /** The From address: an address of a verified SES identity. */
  readonly from: string;
  /** SES configuration set (reputation metrics, event destinations); none when undefined. */
  readonly configurationSet?: string | undefined;
  /** Per request, ms. @default 5000 */
  readonly timeoutMs?: number;
}

const TRANSIENT = new Set(['TooManyRequestsException', 'LimitExceededException', 'InternalFailure', 'ServiceUnavailable', 'ThrottlingException', 'TimeoutError', 'RequestTimeout']);

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
      const e = err as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
      const status = e.$metadata?.httpStatusCode;
      if (TRANSIENT.has(e.name) || (status !== undefined && status >= 500) || (status === undefined && e.name !== 'BadRequestException')) {
        throw new TransientError(`SES SendEmail failed (${e.name}${status ? ` ${status}` : ''}): ${e.message}`);
      }
      throw new Error(`SES refused the message (${e.name}): ${e.message}`);
    }
  }
}
