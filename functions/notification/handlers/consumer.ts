import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MSKEvent } from 'aws-lambda';
import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { deadLetterRecords, type PoisonRecord } from '../../shared/dead-letter';
import { logger, metrics } from '../../shared/powertools';
import { poolMax } from '../../shared/adapters/pg';
import { secretString } from '../../shared/adapters/secrets';
import { LocalEmailSender } from '../adapters/local-sender';
import { SesEmailSender } from '../adapters/ses-sender';
import { SmtpEmailSender, sesSmtpPassword } from '../adapters/smtp-sender';
import { claimNotification, findRecipient, sendLocked } from '../adapters/pg-notifications';
import { parseNotificationEvent } from '../domain/events';
import type { EmailSender } from '../domain/ports';
import { notify } from '../use-cases/notify';

/**
 * NOTIFICATION_SENDER picks the EmailSender:
 *  - `ses`: SesEmailSender (SES API v2 SendEmail with the function's role; the deployed choice),
 *    from NOTIFICATION_FROM, with SES_CONFIGURATION_SET when set. Locally `npm start` points it at
 *    its AWS endpoint (AWS_ENDPOINT_URL_SESV2), which keeps what it is sent.
 *  - `smtp`: SmtpEmailSender, for a deployment without a NAT gateway (through the VPC's
 *    `email-smtp` endpoint; the CDK app does not provision that) or another SMTP relay. On AWS: SMTP_HOST (the SES SMTP endpoint, reached through the VPC's
 *    `email-smtp` interface endpoint), SMTP_PORT (587, STARTTLS required), SMTP_SECRET_ARN (the
 *    sending IAM user's `{accessKeyId, secretAccessKey}`; the SES SMTP password is derived from it,
 *    for AWS_REGION) and NOTIFICATION_FROM (a verified SES identity). Locally: SMTP_URL
 *    (`smtp://user:pass@127.0.0.1:port`, the runtime's in-process SMTP server) and NOTIFICATION_FROM.
 *  - `local` (the default outside Lambda): sends nothing (the notifications row is the record).
 *    Refused in Lambda, where it would mark notifications SENT without sending them: a consumer
 *    deployed with it (or without NOTIFICATION_SENDER) fails every batch before touching a store.
 * An unknown value fails at load.
 */
const Env = z.object({
  NOTIFICATION_SENDER: z.enum(['local', 'ses', 'smtp']).optional(),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  AWS_REGION: z.string().optional(),
  SMTP_URL: z.string().url().optional(),
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_SECRET_ARN: z.string().min(1).optional(),
  NOTIFICATION_FROM: z.string().min(3).default('Shop <no-reply@shop.local>'),
});
type SenderEnv = Partial<z.infer<typeof Env>>;
const config = loadConfig(Env);

/** The sender for this environment, or why there is none (the handler then refuses every batch). */
export async function resolveSender(env: SenderEnv, readSecret: (arn: string) => Promise<string> = secretString): Promise<EmailSender | string> {
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  const from = env.NOTIFICATION_FROM ?? 'Shop <no-reply@shop.local>';
  if (env.NOTIFICATION_SENDER === 'ses') return new SesEmailSender({ from, configurationSet: env.SES_CONFIGURATION_SET });
  if (env.NOTIFICATION_SENDER === 'smtp') {
    if (env.SMTP_URL) {
      const u = new URL(env.SMTP_URL);
      if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') return `SMTP_URL must be smtp:// or smtps://, got ${u.protocol}`;
      if (inLambda && u.protocol === 'smtp:' && u.searchParams.get('requireTls') === 'false') return 'SMTP_URL with requireTls=false is refused in Lambda';
      return new SmtpEmailSender({
        host: u.hostname,
        port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 587)),
        secure: u.protocol === 'smtps:',
        requireTls: u.searchParams.get('requireTls') !== 'false',
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        from,
      });
    }
    if (!env.SMTP_HOST || !env.SMTP_SECRET_ARN || !env.AWS_REGION) return 'NOTIFICATION_SENDER=smtp needs SMTP_URL, or SMTP_HOST, SMTP_SECRET_ARN and AWS_REGION';
    const secret = JSON.parse(await readSecret(env.SMTP_SECRET_ARN)) as { accessKeyId?: string; secretAccessKey?: string };
    if (!secret.accessKeyId || !secret.secretAccessKey) throw new Error(`secret ${env.SMTP_SECRET_ARN} lacks accessKeyId/secretAccessKey`);
    return new SmtpEmailSender({ host: env.SMTP_HOST, port: env.SMTP_PORT ?? 587, requireTls: true, user: secret.accessKeyId, password: sesSmtpPassword(secret.secretAccessKey, env.AWS_REGION), from });
  }
  if (inLambda) {
    return env.NOTIFICATION_SENDER === 'local' ? 'NOTIFICATION_SENDER=local sends nothing: refused in Lambda' : 'NOTIFICATION_SENDER is not set: in Lambda it must be ses or smtp';
  }
  return new LocalEmailSender();
}
let sender: Promise<EmailSender | string> | undefined;
/** Made once per cold start (the secret is read then); a failed read is tried again on the next batch. */
function senderOnce(): Promise<EmailSender | string> {
  sender ??= resolveSender(config).catch((err: unknown) => {
    sender = undefined;
    throw err;
  });
  return sender;
}
/**
 * Notifications handled at once: at most the PostgreSQL pool's size (PG_POOL_MAX; 2 in Lambda),
 * since each send holds a connection (its row's lock) while the provider answers; more would only
 * queue for a connection and could time out waiting.
 */
const CONCURRENCY = Math.max(1, Math.min(16, poolMax()));

export interface ConsumerResult {
  sent: number;
  /** Refused by the provider for good: rows FAILED, events dead-lettered. */
  rejected: number;
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
  const chosen = await senderOnce();
  if (typeof chosen === 'string') throw new Error(`notification sender unavailable: ${chosen}`);
  const deps = { sender: chosen, findRecipient, claim: claimNotification, sendLocked };
  const records = Object.values(event.records ?? {}).flat();
  const out: ConsumerResult = { sent: 0, rejected: 0, duplicates: 0, noAddress: 0, ignored: 0, deadLettered: 0 };
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
        if (typeof outcome === 'object') {
          // The provider refused this message for good: its row is FAILED; the event goes to
          // dead-letter with the reason, and the batch goes on (a retry would be refused again, and
          // would hold every later event of the partition).
          logger.warn('notification refused by the provider: row FAILED, event sent to dead-letter', { eventId: parsed.request.eventId, template: parsed.request.template, error: outcome.rejected });
          poison.push({ record: r, error: `notification ${parsed.request.template} of event ${parsed.request.eventId} refused: ${outcome.rejected}` });
          out.rejected++;
        } else if (outcome === 'sent') out.sent++;
        else if (outcome === 'duplicate') out.duplicates++;
        else out.noAddress++;
      }),
    );
  }
  await deadLetterRecords('notification-consumer', poison);
  out.deadLettered = poison.length;
  if (out.sent > 0) metrics.addMetric('NotificationsSent', MetricUnit.Count, out.sent);
  if (out.rejected > 0) metrics.addMetric('NotificationsRejected', MetricUnit.Count, out.rejected);
  if (poison.length > 0) metrics.addMetric('NotificationConsumerDeadLettered', MetricUnit.Count, poison.length);
  if (out.sent > 0 || poison.length > 0) metrics.publishStoredMetrics();
  return out;
};
