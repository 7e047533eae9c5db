import type { MSKRecord } from 'aws-lambda';
import { withProducer } from './adapters/kafka';

/** A record an MSK consumer could not read, and why. */
export interface PoisonRecord {
  readonly record: MSKRecord;
  readonly error: string;
}

/**
 * A batch's poison records to the `dead-letter` topic, in ONE send after the batch, in
 * (topic, partition, offset) order: concurrent sends on kafkajs's idempotent producer can be refused
 * with "out of order sequence number" (kafkajs #598), and a failed send closes the producer under any
 * other send still using it. Throws when the send fails: the caller's batch then fails and is
 * delivered again, so nothing is committed past a record that reached no topic.
 */
export async function deadLetterRecords(source: string, poison: readonly PoisonRecord[]): Promise<void> {
  if (poison.length === 0) return;
  const ordered = [...poison].sort((a, b) => a.record.topic.localeCompare(b.record.topic) || a.record.partition - b.record.partition || Number(a.record.offset) - Number(b.record.offset));
  await withProducer((p) =>
    p.send({
      topic: 'dead-letter',
      messages: ordered.map(({ record, error }) => ({
        key: record.key ? Buffer.from(record.key, 'base64').toString('utf8') : null,
        value: JSON.stringify({ source, error, topic: record.topic, partition: record.partition, offset: record.offset, value: record.value }),
      })),
    }),
  );
}
