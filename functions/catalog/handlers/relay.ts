import { setTimeout as sleep } from 'node:timers/promises';
import { logger } from '../../shared/powertools';
import { relayOnce } from '../usecases/relay';
import { config, eventStore, publisher } from '../wiring';

export interface RelayHandlerOutcome {
  readonly published: number;
  readonly fenced: number;
  readonly passes: number;
  readonly checkpoint: number;
}

/**
 * Schedule handler: publishes new catalog events to Kafka `catalog-events` (key = productId) from
 * the relay checkpoint on. Reserved concurrency 1 in the manifest keeps a single relay; under
 * Lambda it keeps polling for CATALOG_RELAY_LOOP_MS so events reach search in well under a second
 * even though the schedule is 1 minute.
 */
export const handler = async (_event?: unknown): Promise<RelayHandlerOutcome> => {
  const store = await eventStore();
  const pub = publisher();
  const deadline = Date.now() + config.CATALOG_RELAY_LOOP_MS;
  let published = 0;
  let fenced = 0;
  let passes = 0;
  let checkpoint = 0;
  for (;;) {
    // Looping under Lambda: a pass never runs past the loop deadline (the timeout is 60 s).
    const maxMs = config.CATALOG_RELAY_LOOP_MS > 0 ? Math.max(100, Math.min(config.CATALOG_RELAY_MAX_MS, deadline - Date.now())) : config.CATALOG_RELAY_MAX_MS;
    const out = await relayOnce({ store, publisher: pub, batchSize: config.CATALOG_RELAY_BATCH, gapMs: config.CATALOG_RELAY_GAP_MS, maxMs });
    published += out.published;
    fenced += out.fenced;
    checkpoint = out.checkpoint;
    passes += 1;
    if (Date.now() >= deadline) break;
    if (out.published === 0) await sleep(config.CATALOG_RELAY_IDLE_POLL_MS);
  }
  if (published > 0 || fenced > 0) logger.info('catalog relay', { published, fenced, passes, checkpoint });
  return { published, fenced, passes, checkpoint };
};
