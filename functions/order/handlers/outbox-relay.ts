import { relayPending } from '../../shared/outbox';
import { logger } from '../../shared/powertools';

/** OrderOutboxRelay (schedule): publishes outbox rows that were not published right after their commit. */
export const handler = async (_event?: unknown): Promise<{ published: number; failed: number }> => {
  const r = await relayPending();
  if (r.published || r.failed) logger.info('outbox relay swept', r);
  return r;
};
