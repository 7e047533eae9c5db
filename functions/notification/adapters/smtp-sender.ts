import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { TransientError } from '../../shared/errors';
import { EmailRejectedError, type EmailMessage, type EmailSender } from '../domain/ports';

/**
 * The SMTP sender (nodemailer). On AWS it sends through Amazon SES's SMTP interface: the consumer
 * runs in the VPC (it reads PostgreSQL), and SES's API has no VPC endpoint while its SMTP interface
 * does (`com.amazonaws.<region>.email-smtp`), so mail leaves through that endpoint, on port 587 with
 * STARTTLS required. Locally `npm start` runs an SMTP server in process (local/runtime/smtp.ts) that
 * keeps what it receives, so the same adapter sends over a real SMTP connection in both places.
 *
 * Idempotency: the Message-ID header is derived from the notification row's id, the same on every
 * retry of one notification, so a receiving system can drop a duplicate after a send whose SENT mark
 * was lost (at least once; docs/notification.md).
 */
export interface SmtpSenderOptions {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS, required when `requireTls`. */
  readonly secure?: boolean;
  /** Refuse to send (or authenticate) over a connection that did not upgrade to TLS. */
  readonly requireTls: boolean;
  readonly user: string;
  readonly password: string;
  /** The From address (a verified SES identity on AWS). */
  readonly from: string;
  /** The domain of the Message-ID header. */
  readonly messageIdDomain?: string;
  /** Connect, greeting and socket timeouts, ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Connections kept open and reused across sends of one process. @default 4 */
  readonly maxConnections?: number;
}

export class SmtpEmailSender implements EmailSender {
  private readonly transport: Transporter;

  constructor(private readonly opts: SmtpSenderOptions) {
    const timeout = opts.timeoutMs ?? 5000;
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: opts.maxConnections ?? 4,
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      requireTLS: opts.requireTls,
      ignoreTLS: !opts.requireTls && !opts.secure,
      auth: { user: opts.user, pass: opts.password },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: { minVersion: 'TLSv1.2', servername: opts.host },
    });
  }

  async send(message: EmailMessage): Promise<{ messageId: string }> {
    const messageId = `<${message.notificationId}@${this.opts.messageIdDomain ?? 'notifications.shop'}>`;
    let info: { response?: string; messageId?: string; rejected?: unknown[] };
    try {
      info = await this.transport.sendMail({ from: this.opts.from, to: message.to, subject: message.subject, text: message.body, messageId });
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      // A 5xx answer to this message (a bad mailbox, a rejected content) refuses it for good:
      // EmailRejectedError. Authentication refusals (530, 534, 535) are about the account, not the
      // message: like 4xx and network errors they are TransientError, so the message waits.
      const code = e.responseCode;
      if (typeof code === 'number' && code >= 500 && ![530, 534, 535].includes(code)) throw new EmailRejectedError(`SMTP server refused the message (${code}): ${e.message}`);
      throw new TransientError(`SMTP send failed (${e.code ?? code ?? 'network'}): ${e.message}`);
    }
    if (Array.isArray(info.rejected) && info.rejected.length > 0) throw new EmailRejectedError(`SMTP server rejected the recipient ${message.to}`);
    return { messageId: providerMessageId(info.response) ?? info.messageId ?? messageId };
  }

  /** Closes the pooled connections (local runtime shutdown, tests). */
  close(): void {
    this.transport.close();
  }
}

/** SES answers `250 Ok <its message id>`; that id is what its bounce and complaint notices carry. */
export function providerMessageId(response: string | undefined): string | undefined {
  const m = /^250[ -]Ok (\S+)/i.exec(response ?? '');
  return m?.[1];
}

/**
 * The SES SMTP password of an IAM user's secret access key, for a region (AWS's documented
 * "version 4" derivation: an HMAC-SHA256 chain over fixed strings, prefixed with the byte 0x04,
 * base64). The SMTP user name is the access key id.
 */
export function sesSmtpPassword(secretAccessKey: string, region: string): string {
  const sign = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  let k = sign(`AWS4${secretAccessKey}`, '11111111');
  for (const part of [region, 'ses', 'aws4_request', 'SendRawEmail']) k = sign(k, part);
  return Buffer.concat([Buffer.from([0x04]), k]).toString('base64');
}
