import type { NotificationRequest } from '../domain/events';
import type { EmailSender, NotificationRow } from '../domain/ports';

export interface NotifyDeps {
  readonly sender: EmailSender;
  readonly findRecipient: (userId: string) => Promise<string | undefined>;
  readonly claim: (req: NotificationRequest, recipient: string | undefined) => Promise<{ row: NotificationRow; inserted: boolean }>;
  readonly sendLocked: (id: string, send: (row: NotificationRow) => Promise<string>) => Promise<'sent' | 'already-sent' | { rejected: string }>;
}

/** `rejected`: the provider refused the message for good; its row is FAILED (the consumer dead-letters the event). */
export type NotifyOutcome = 'sent' | 'duplicate' | 'no-address' | { rejected: string };

/**
 * One notification, idempotent on (event id, template): the recipient from the user's account
 * (none: a NO_ADDRESS row, nothing sent), the row claimed, then sent unless it was already (or it
 * failed for good: a FAILED row is answered as a duplicate). A refusal of the message marks the row
 * FAILED (`rejected`); any other send failure throws (the batch is delivered again; the row stays
 * PENDING with one more attempt).
 * At least once: a send the provider accepted whose SENT mark is then lost is sent again.
 */
export async function notify(deps: NotifyDeps, req: NotificationRequest): Promise<NotifyOutcome> {
  const recipient = await deps.findRecipient(req.userId);
  const { row } = await deps.claim(req, recipient);
  if (row.status === 'NO_ADDRESS') return 'no-address';
  if (row.status === 'SENT' || row.status === 'FAILED') return 'duplicate';
  const out = await deps.sendLocked(row.id, async (locked) => {
    const { messageId } = await deps.sender.send({ to: locked.recipient!, subject: req.subject, body: req.body, notificationId: locked.id });
    return messageId;
  });
  if (typeof out === 'object') return out;
  return out === 'sent' ? 'sent' : 'duplicate';
}
