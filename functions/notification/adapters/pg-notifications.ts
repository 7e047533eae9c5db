import type { PoolClient } from 'pg';
import { getPool, withTransaction } from '../../shared/adapters/pg';
import { EmailRejectedError, type NotificationRow } from '../domain/ports';
import type { NotificationRequest } from '../domain/events';
import { isUuid } from '../../shared/uuid';


/** The user's email address (the user service's `users` table); undefined for no account (or an id that is not a uuid). */
export async function findRecipient(userId: string): Promise<string | undefined> {
  if (!isUuid(userId)) return undefined;
  const r = await (await getPool()).query<{ email: string }>('SELECT email FROM users WHERE id = $1::uuid', [userId]);
  return r.rows[0]?.email;
}

const COLUMNS = 'id, status, recipient, attempts';

/**
 * The notification's row: inserted (PENDING with a recipient, NO_ADDRESS without) or, when this
 * (event, template) has one already, that row unchanged. `inserted` says which.
 */
export async function claimNotification(req: NotificationRequest, recipient: string | undefined): Promise<{ row: NotificationRow; inserted: boolean }> {
  const pool = await getPool();
  const ins = await pool.query<NotificationRow>(
    `INSERT INTO notifications (event_id, template, user_id, channel, recipient, subject, body, status)
     VALUES ($1::uuid, $2::text, $3::text, 'email', $4::text, $5::text, $6::text, $7::text)
     ON CONFLICT (event_id, template) DO NOTHING
     RETURNING ${COLUMNS}`,
    [req.eventId, req.template, req.userId, recipient ?? null, req.subject, req.body, recipient ? 'PENDING' : 'NO_ADDRESS'],
  );
  if (ins.rows[0]) return { row: ins.rows[0], inserted: true };
  // A new statement: it sees the row a concurrent insert (which ON CONFLICT waited for) committed.
  const existing = await pool.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE event_id = $1::uuid AND template = $2::text`, [req.eventId, req.template]);
  if (!existing.rows[0]) throw new Error(`notification (${req.eventId}, ${req.template}) conflicted but is not there`);
  return { row: existing.rows[0], inserted: false };
}

/**
 * Runs `send` holding the row's lock, unless the row is no longer PENDING by then (a concurrent
 * delivery of the same event sent it: it waits on the lock, then skips). Success marks it SENT with
 * the provider's id. A refusal of the message (EmailRejectedError) marks it FAILED with the reason,
 * in the same transaction, and answers `rejected`. Any other failure rolls back, counts the attempt
 * (the row stays PENDING), then rethrows.
 */
export async function sendLocked(id: string, send: (row: NotificationRow) => Promise<string>): Promise<'sent' | 'already-sent' | { rejected: string }> {
  try {
    return await withTransaction(async (tx: PoolClient) => {
      const r = await tx.query<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE id = $1::uuid FOR UPDATE`, [id]);
      const row = r.rows[0];
      if (!row || row.status !== 'PENDING') return 'already-sent' as const;
      let messageId: string;
      try {
        messageId = await send(row);
      } catch (err) {
        if (!(err instanceof EmailRejectedError)) throw err;
        await tx.query("UPDATE notifications SET status = 'FAILED', last_error = $2::text, attempts = attempts + 1 WHERE id = $1::uuid", [id, err.message.slice(0, 2000)]);
        return { rejected: err.message };
      }
      await tx.query("UPDATE notifications SET status = 'SENT', provider_message_id = $2::text, sent_at = now(), attempts = attempts + 1 WHERE id = $1::uuid", [id, messageId]);
      return 'sent' as const;
    });
  } catch (err) {
    await (await getPool())
      .query("UPDATE notifications SET attempts = attempts + 1 WHERE id = $1::uuid AND status = 'PENDING'", [id])
      .catch(() => undefined);
    throw err;
  }
}
