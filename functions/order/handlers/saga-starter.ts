import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MSKEvent } from 'aws-lambda';
import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { deadLetterRecords, type PoisonRecord } from '../../shared/dead-letter';
import { logger, metrics } from '../../shared/powertools';
import { SfnSagaStarter } from '../adapters/sfn-saga-starter';
import { parseOrderCreated, startSaga } from '../use-cases/start-saga';

const config = loadConfig(z.object({ STATE_MACHINE_ARN: z.string().startsWith('arn:') }));
const starter = new SfnSagaStarter(config.STATE_MACHINE_ARN);
const CONCURRENCY = 16;

/**
 * SagaStarter: consumes order-created (MSK event) and starts one execution per order, named by the
 * order id. A poison message goes to `dead-letter` with its error (counted: SagaStarterDeadLettered)
 * and the batch moves on; a failure to start (Step Functions unavailable) fails the batch, which is
 * delivered again (starting is idempotent by name).
 */
export const handler = async (event: MSKEvent): Promise<{ started: number; duplicates: number; deadLettered: number }> => {
  const records = Object.values(event.records ?? {}).flat();
  let started = 0;
  let duplicates = 0;
  const poison: PoisonRecord[] = [];
  // The same order twice in one batch is started once: the copies would run concurrently, and Step
  // Functions answers each like the first start while that execution is RUNNING.
  const seen = new Set<string>();
  for (let i = 0; i < records.length; i += CONCURRENCY) {
    await Promise.all(
      records.slice(i, i + CONCURRENCY).map(async (r) => {
        const parsed = parseOrderCreated(Buffer.from(r.value ?? '', 'base64').toString('utf8'));
        if (!parsed.ok) {
          logger.warn('poison order-created message sent to dead-letter', { error: parsed.error, partition: r.partition, offset: r.offset });
          poison.push({ record: r, error: parsed.error });
          return;
        }
        if (seen.has(parsed.data.orderId)) {
          duplicates++;
          return;
        }
        seen.add(parsed.data.orderId);
        const out = await startSaga({ starter }, parsed.data);
        if (out.started) started++;
        else duplicates++;
      }),
    );
  }
  // A failed dead-letter send fails the batch, which is delivered again (starting is idempotent by name).
  await deadLetterRecords('saga-starter', poison);
  // Counted after the send (a batch that fails before it is delivered again and counted then); alarmed when > 0.
  if (poison.length > 0) {
    metrics.addMetric('SagaStarterDeadLettered', MetricUnit.Count, poison.length);
    metrics.publishStoredMetrics();
  }
  return { started, duplicates, deadLettered: poison.length };
};
