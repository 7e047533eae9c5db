import type { Producer } from 'kafkajs';
import { envelope } from '../../shared/events';
import type { EventPublisher, RelayItem } from '../ports';
import type { CatalogEventDataT } from '../schemas';

export const CATALOG_EVENT_SOURCE = 'shop.catalog';

/** The envelope on `catalog-events` for one stored event (key = productId). */
export function toEnvelope(item: Extract<RelayItem, { kind: 'event' }>) {
  const data: CatalogEventDataT = {
    productId: item.aggregateId,
    version: item.version,
    seq: item.seq,
    change: { ...(item.event.data as Record<string, unknown>) },
    state: item.state,
  };
  return envelope({ id: item.eventId, type: item.event.type, source: CATALOG_EVENT_SOURCE, data, time: new Date(item.time), version: 1 });
}

/**
 * Publishes with acks from all in-sync replicas; one send keeps the per-key order. `withProducer`
 * runs a send with the shared producer (adapters/kafka.ts: a failed send leaves the next one a new
 * producer).
 */
export class KafkaCatalogPublisher implements EventPublisher {
  constructor(
    private readonly withProducer: <T>(fn: (p: Producer) => Promise<T>) => Promise<T>,
    readonly topic: string,
  ) {}

  async publish(items: ReadonlyArray<Extract<RelayItem, { kind: 'event' }>>): Promise<void> {
    if (items.length === 0) return;
    await this.withProducer((p) =>
      p.send({
        topic: this.topic,
        acks: -1,
        messages: items.map((i) => ({
          key: i.aggregateId,
          value: JSON.stringify(toEnvelope(i)),
          headers: { 'event-type': i.event.type, 'event-id': i.eventId },
        })),
      }),
    );
  }
}
