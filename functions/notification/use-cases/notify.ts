import type { NotificationRequest } from '../domain/events';
import type { EmailSender, NotificationRow } from '../domain/ports';

export interface NotifyDeps {
  readonly sender: EmailSender;
  readonly findRecipient: (userId: string) => Promise<string | undefined>;
  readonly claim: (req: NotificationRequest, recipient: string | undefined) => Promise<{ row: NotificationRow; inserted: boolean }>;
  readonly sendLocked: (id: string, send: (row: NotificationRow) => Promise<string>) => Promise<'sent' | 'already-sent'>;
}

export type NotifyOutcome = 'sent' | 'duplicate' | 'no-address';

/**
 * One notification, idempotent on (event id, template): the recipient from the user's account
 * (none: a NO_ADDRESS row, nothing sent), the row claimed, then sent unless it was already. A send
 * failure throws (the batch is delivered again; the row stays PENDING with one more attempt).
 * At least once: a send the provider accepted whose SENT mark is then lost is sent again.
 */
export async function notify(deps: NotifyDeps, req: NotificationRequest): Promise<NotifyOutcome> {
  const recipient = await deps.findRecipient(req.userId);
  const { row } = await deps.claim(req, recipient);
  if (row.status === 'NO_ADDRESS') return 'no-address';
  if (row.status === 'SENT') return 'duplicate';
  const out = await deps.sendLocked(row.id, async (locked) => {
    const { messageId } = await deps.sender.send({ to: locked.recipient!, subject: req.subject, body: req.body, notificationId: locked.id });
    return messageId;
  });
  return out === 'sent' ? 'sent' : 'duplicate';
}
