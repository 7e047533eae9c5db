import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MSKEvent } from 'aws-lambda';
import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { deadLetterRecords, type PoisonRecord } from '../../shared/dead-letter';
import { logger, metrics } from '../../shared/powertools';
import { NotImplementedError } from '../../shared/errors';
import { LocalEmailSender } from '../adapters/local-sender';
import { claimNotification, findRecipient, sendLocked } from '../adapters/pg-notifications';
import { parseNotificationEvent } from '../domain/events';
import type { EmailSender } from '../domain/ports';
import { notify } from '../use-cases/notify';

/**
 * NOTIFICATION_SENDER picks the EmailSender. Only 'local' is built (no AWS SDK client for SES or
 * SNS is a dependency yet), and it is refused in Lambda: there it would mark notifications SENT
 * without sending them. So a deployed consumer fails every batch before touching anything (as the
 * stub did), with NotImplementedError. An unknown value fails at load.
 */
const config = loadConfig(z.object({ NOTIFICATION_SENDER: z.enum(['local']).optional(), AWS_LAMBDA_FUNCTION_NAME: z.string().optional() }));

/** The sender for this environment, or why there is none. */
export function resolveSender(env: { NOTIFICATION_SENDER?: 'local' | undefined; AWS_LAMBDA_FUNCTION_NAME?: string | undefined }): EmailSender | string {
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    return env.NOTIFICATION_SENDER === 'local'
      ? 'NOTIFICATION_SENDER=local sends nothing: refused in Lambda'
      : 'no AWS notification sender is built yet (SES/SNS): the notification consumer is not deployable';
  }
  return new LocalEmailSender();
}
const sender = resolveSender(config);
const deps = typeof sender === 'string' ? undefined : { sender, findRecipient, claim: claimNotification, sendLocked };
const CONCURRENCY = 16;

export interface ConsumerResult {
  sent: number;
  duplicates: number;
  noAddress: number;
  ignored: number;
  deadLettered: number;
}

/**
 * NotificationConsumer: consumes order-completed, order-failed and user-events (MSK event). Each
 * known event renders its template and is sent once to the user's address (notify). Event types it
 * has no template for are skipped (counted: `ignored`); a poison message goes to `dead-letter` with
 * its error (NotificationConsumerDeadLettered) and the batch moves on. A failed send or store fails
 * the batch, which is delivered again: what was sent is not sent twice.
 */
export const handler = async (event: MSKEvent): Promise<ConsumerResult> => {
  if (!deps) throw new NotImplementedError(sender as string);
  const records = Object.values(event.records ?? {}).flat();
  const out: ConsumerResult = { sent: 0, duplicates: 0, noAddress: 0, ignored: 0, deadLettered: 0 };
  const poison: PoisonRecord[] = [];
  // The same event twice in one batch is handled once (the copies would race for one row).
  const seen = new Set<string>();
  for (let i = 0; i < records.length; i += CONCURRENCY) {
    await Promise.all(
      records.slice(i, i + CONCURRENCY).map(async (r) => {
        const parsed = parseNotificationEvent(Buffer.from(r.value ?? '', 'base64').toString('utf8'));
        if (parsed.kind === 'poison') {
          logger.warn('poison message sent to dead-letter', { error: parsed.error, topic: r.topic, partition: r.partition, offset: r.offset });
          poison.push({ record: r, error: parsed.error });
          return;
        }
        if (parsed.kind === 'ignored') {
          out.ignored++;
          return;
        }
        const key = `${parsed.request.eventId}/${parsed.request.template}`;
        if (seen.has(key)) {
          out.duplicates++;
          return;
        }
        seen.add(key);
        const outcome = await notify(deps, parsed.request);
        if (outcome === 'sent') out.sent++;
        else if (outcome === 'duplicate') out.duplicates++;
        else out.noAddress++;
      }),
    );
  }
  await deadLetterRecords('notification-consumer', poison);
  out.deadLettered = poison.length;
  if (out.sent > 0) metrics.addMetric('NotificationsSent', MetricUnit.Count, out.sent);
  if (poison.length > 0) metrics.addMetric('NotificationConsumerDeadLettered', MetricUnit.Count, poison.length);
  if (out.sent > 0 || poison.length > 0) metrics.publishStoredMetrics();
  return out;
};
