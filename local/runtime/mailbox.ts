/** A message a local mail stand-in accepted (the SES v2 API of the AWS endpoint, or the SMTP server). */
export interface ReceivedMail {
  /** The id the stand-in answered with (SES's MessageId): what the sender stores. */
  readonly messageId: string;
  /** The Message-ID header, when the message had one (SMTP). */
  readonly headerMessageId?: string;
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
  readonly receivedAt: Date;
}

/**
 * What the local mail stand-ins accepted, in memory (newest last; the last 10 000): the local
 * runtime's "outbox" of sent mail, which `npm start` logs and tests read (`p.mail`).
 */
export class LocalMailbox {
  readonly messages: ReceivedMail[] = [];
  private readonly listeners = new Set<(m: ReceivedMail) => void>();
  private seq = 0;

  /** An id in SES's style, unique in this process. */
  nextId(): string {
    return `local-${Date.now().toString(36)}-${(++this.seq).toString(36)}`;
  }

  add(mail: ReceivedMail): void {
    this.messages.push(mail);
    if (this.messages.length > 10_000) this.messages.splice(0, this.messages.length - 10_000);
    for (const l of this.listeners) l(mail);
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
}
