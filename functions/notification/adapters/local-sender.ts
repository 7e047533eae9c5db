import { randomUUID } from 'node:crypto';
import type { EmailMessage, EmailSender } from '../domain/ports';

/**
 * The local sender: sends nothing. The notifications table is the outbox local runs and tests read
 * (recipient, subject, body, status SENT, this id); the id is `local-<uuid>`.
 */
export class LocalEmailSender implements EmailSender {
  async send(_message: EmailMessage): Promise<{ messageId: string }> {
    return { messageId: `local-${randomUUID()}` };
  }
}
