import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { log } from './log';

/** A message the local SMTP server accepted, parsed. */
export interface ReceivedMail {
  /** The Message-ID header (the sender derives it from the notification's row id). */
  readonly messageId: string;
  /** The id this server answered with (`250 Ok <id>`, as SES does): what the sender stores. */
  readonly queueId: string;
  readonly from: string;
  /** Envelope recipients (RCPT TO). */
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
  readonly receivedAt: Date;
}

/**
 * The local stand-in for Amazon SES's SMTP interface: a real SMTP server (smtp-server, from the
 * nodemailer project) on 127.0.0.1 that requires AUTH (a user and password made at start), answers
 * `250 Ok <id>` like SES, and keeps every message it accepts in memory (`messages`, newest last;
 * the last 10 000). The notification consumer's SmtpEmailSender sends to it over a real connection
 * with `NOTIFICATION_SENDER=smtp` and `SMTP_URL` (set by the runtime). No TLS: it only listens on
 * the loopback interface; on AWS the sender requires STARTTLS.
 *
 * `refuseNext(code, message)` makes the next DATA answer an error (tests of a failed send).
 */
export class LocalSmtpServer {
  readonly messages: ReceivedMail[] = [];
  private readonly listeners = new Set<(m: ReceivedMail) => void>();
  private refusals: Array<{ code: number; message: string }> = [];
  private server: SMTPServer | undefined;
  private readonly user: string;
  private readonly password: string;
  private port = 0;
  private seq = 0;

  /** The AUTH user and password it accepts (default: `local` and a random password). */
  constructor(credentials: { user?: string; password?: string } = {}) {
    this.user = credentials.user ?? 'local';
    this.password = credentials.password ?? randomBytes(12).toString('hex');
  }

  /** smtp://local:<password>@127.0.0.1:<port>?requireTls=false */
  get url(): string {
    return `smtp://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}?requireTls=false`;
  }

  get listeningPort(): number {
    return this.port;
  }

  async start(port = 0): Promise<this> {
    const server = new SMTPServer({
      name: 'smtp.local',
      banner: 'local SES stand-in',
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      size: 10 * 1024 * 1024,
      logger: false,
      onAuth: (auth, _session, cb) => (auth.username === this.user && auth.password === this.password ? cb(null, { user: auth.username }) : cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }))),
      onData: (stream, session, cb) => {
        const refusal = this.refusals.shift();
        simpleParser(stream)
          .then((parsed) => {
            if (refusal) return cb(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
            const queueId = `local-${Date.now().toString(36)}-${(++this.seq).toString(36)}`;
            const mail: ReceivedMail = {
              messageId: parsed.messageId ?? '',
              queueId,
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              receivedAt: new Date(),
            };
            this.messages.push(mail);
            if (this.messages.length > 10_000) this.messages.splice(0, this.messages.length - 10_000);
            log.debug('smtp: message accepted', { to: mail.to, subject: mail.subject, messageId: mail.messageId });
            for (const l of this.listeners) l(mail);
            // SES answers "250 Ok <message id>"; smtp-server sends "250 OK: message queued" unless given a message.
            cb(null, `Ok ${queueId}` as never);
          })
          .catch((err: Error) => cb(err));
      },
    });
    server.on('error', (err) => log.warn('smtp: server error', { error: err.message }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  refuseNext(code: number, message: string): void {
    this.refusals.push({ code, message });
  }

  /** The first accepted message (already received or to come) that `match` accepts. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching mail within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (m: ReceivedMail) => {
        if (!match(m)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(m);
      };
      this.listeners.add(listener);
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
