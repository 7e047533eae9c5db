import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { withProducer } from '../../shared/adapters/kafka';
import { logger } from '../../shared/powertools';
import { SfnSagaStarter } from '../adapters/sfn-saga-starter';
import { parseOrderCreated, startSaga } from '../use-cases/start-saga';

const config = loadConfig(z.object({ STATE_MACHINE_ARN: z.string().startsWith('arn:') }));
const starter = new SfnSagaStarter(config.STATE_MACHINE_ARN);
const CONCURRENCY = 16;

async function deadLetter(record: MSKRecord, error: string): Promise<void> {
  await withProducer((p) =>
    p.send({
      topic: 'dead-letter',
      messages: [{ key: record.key ? Buffer.from(record.key, 'base64').toString('utf8') : null, value: JSON.stringify({ source: 'saga-starter', error, topic: record.topic, partition: record.partition, offset: record.offset, value: record.value }) }],
    }),
  );
}

/**
 * SagaStarter: consumes order-created (MSK event) and starts one execution per order, named by the
 * order id. A poison message goes to `dead-letter` with its error and the batch moves on; a failure
 * to start (Step Functions unavailable) fails the batch, which is delivered again (starting is
 * idempotent by name).
 */
export const handler = async (event: MSKEvent): Promise<{ started: number; duplicates: number; deadLettered: number }> => {
  const records = Object.values(event.records ?? {}).flat();
  let started = 0;
  let duplicates = 0;
  let deadLettered = 0;
  for (let i = 0; i < records.length; i += CONCURRENCY) {
    await Promise.all(
      records.slice(i, i + CONCURRENCY).map(async (r) => {
        const parsed = parseOrderCreated(Buffer.from(r.value ?? '', 'base64').toString('utf8'));
        if (!parsed.ok) {
          logger.warn('poison order-created message sent to dead-letter', { error: parsed.error, partition: r.partition, offset: r.offset });
          await deadLetter(r, parsed.error);
          deadLettered++;
          return;
        }
        const out = await startSaga({ starter }, parsed.data);
        if (out.started) started++;
        else duplicates++;
      }),
    );
  }
  return { started, duplicates, deadLettered };
};
