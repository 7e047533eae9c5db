import { z } from 'zod';
import { withProducer } from '../../shared/adapters/kafka';
import { EnvelopeSchema } from '../../shared/events';
import { logger } from '../../shared/powertools';
import { flushMetrics } from '../metrics';
import { CatalogEventData } from '../schemas';
import { projectEvents, type ProjectedEvent, type ProjectOutcome } from '../usecases/projector';
import { catalogCache, searchIndex } from '../wiring';

/** The MSK event source mapping's event (the local runtime builds the same shape). */
export const MskEventSchema = z.object({
  eventSource: z.literal('aws:kafka'),
  records: z.record(
    z.string(),
    z.array(
      z.object({
        topic: z.string(),
        partition: z.number().int(),
        offset: z.number().int(),
        timestamp: z.number().optional(),
        key: z.string().nullable().optional(),
        value: z.string().nullable(),
        headers: z.array(z.record(z.string(), z.array(z.number()))).optional(),
      }),
    ),
  ),
});
export type MskEvent = z.infer<typeof MskEventSchema>;

export const DEAD_LETTER_TOPIC = 'dead-letter';

export interface PoisonRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly error: string;
  readonly value: string | null;
}

/** Decodes the records; a record that is not a valid catalog event is returned as poison. */
export function decodeRecords(event: MskEvent): { events: ProjectedEvent[]; poison: PoisonRecord[] } {
  const events: ProjectedEvent[] = [];
  const poison: PoisonRecord[] = [];
  for (const records of Object.values(event.records)) {
    for (const r of records) {
      try {
        const raw = JSON.parse(Buffer.from(r.value ?? '', 'base64').toString('utf8')) as unknown;
        const env = EnvelopeSchema.parse(raw);
        const data = CatalogEventData.parse(env.data);
        events.push({ state: data.state, time: env.time });
      } catch (err) {
        poison.push({ topic: r.topic, partition: r.partition, offset: r.offset, error: err instanceof z.ZodError ? z.prettifyError(err) : String(err), value: r.value });
      }
    }
  }
  return { events, poison };
}

async function deadLetter(poison: readonly PoisonRecord[]): Promise<void> {
  if (poison.length === 0) return;
  await withProducer((p) =>
    p.send({
      topic: DEAD_LETTER_TOPIC,
      acks: -1,
      messages: poison.map((x) => ({
        key: `${x.topic}-${x.partition}-${x.offset}`,
        value: JSON.stringify({ consumer: 'catalog-projector', ...x }),
        headers: { error: x.error.slice(0, 1000) },
      })),
    }),
  );
  logger.warn('poison catalog events sent to the dead-letter topic', { count: poison.length });
}

/**
 * MSK consumer: projects catalog events into OpenSearch and invalidates the cache. A failure of a
 * store throws, so the batch is retried (already-applied events are skipped by version).
 */
export const handler = async (event: unknown): Promise<ProjectOutcome> => {
  try {
    const msk = MskEventSchema.parse(event);
    const { events, poison } = decodeRecords(msk);
    await deadLetter(poison);
    return await projectEvents({ index: (await searchIndex()).index, cache: await catalogCache() }, events);
  } finally {
    flushMetrics();
  }
};
