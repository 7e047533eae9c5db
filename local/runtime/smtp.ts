import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { log } from './log';
import { LocalMailbox, type ReceivedMail } from './mailbox';

export type { ReceivedMail } from './mailbox';

/**
 * A local stand-in for Amazon SES's SMTP interface: a real SMTP server (smtp-server, from the
 * nodemailer project) on 127.0.0.1 that requires AUTH (a user and password made at start), answers
 * `250 Ok <id>` like SES, and keeps every message it accepts in its mailbox (`messages`). The
 * SmtpEmailSender's tests send to it over real connections. No TLS: it only listens on the
 * loopback interface; the sender's AWS configuration requires STARTTLS.
 *
 * `refuseNext(code, message)` makes the next DATA answer an error (tests of a failed send).
 */
export class LocalSmtpServer {
  readonly mailbox = new LocalMailbox();
  private refusals: Array<{ code: number; message: string }> = [];
  private server: SMTPServer | undefined;
  private readonly user: string;
  private readonly password: string;
  private port = 0;

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
      closeTimeout: 500, // stop() ends client connections still open (a sender's pool) after this
      onAuth: (auth, _session, cb) => (auth.username === this.user && auth.password === this.password ? cb(null, { user: auth.username }) : cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }))),
      onData: (stream, session, cb) => {
        const refusal = this.refusals.shift();
        simpleParser(stream)
          .then((parsed) => {
            if (refusal) return cb(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
            const queueId = this.mailbox.nextId();
            const mail: ReceivedMail = {
              messageId: queueId,
              ...(parsed.messageId ? { headerMessageId: parsed.messageId } : {}),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              receivedAt: new Date(),
            };
            this.mailbox.add(mail);
            log.debug('smtp: message accepted', { to: mail.to, subject: mail.subject, messageId: mail.messageId });
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

  get messages(): readonly ReceivedMail[] {
    return this.mailbox.messages;
  }

  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
    return this.mailbox.waitFor(match, timeoutMs);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
