import { manifest } from '../../../lib/manifest';
import { runnableHandlers } from '../../../local/runtime';

describe('runnableHandlers: which consumers and schedules a local run starts', () => {
  it('starts every implemented one when no store list is given', () => {
    const skipped: string[] = [];
    expect(runnableHandlers(manifest, 'consumer', {}, (m) => skipped.push(m))).toEqual(['SagaStarter', 'CatalogProjector', 'NotificationConsumer']);
    expect(runnableHandlers(manifest, 'schedule')).toEqual(['OrderOutboxRelay', 'OrderSagaSweeper', 'SagaStepRecordRetention', 'CatalogRelay', 'Web3PaymentWatcher']);
    expect(skipped).toEqual([]);
  });

  it('says which are not implemented, and includeUnimplemented starts them too (tests with fixture handlers)', () => {
    const fixture = { ...manifest, services: manifest.services.map((s) => ({ ...s, handlers: s.handlers.map((h) => (h.name === 'NotificationConsumer' ? { ...h, implemented: false } : h)) })) };
    const skipped: string[] = [];
    expect(runnableHandlers(fixture, 'consumer', {}, (m) => skipped.push(m))).toEqual(['SagaStarter', 'CatalogProjector']);
    expect(skipped).toEqual(['consumer NotificationConsumer is not implemented (manifest implemented:false): not started']);
    expect(runnableHandlers(fixture, 'consumer', { includeUnimplemented: true })).toContain('NotificationConsumer');
  });

  it('leaves out the ones whose stores do not run here, naming the missing store (bench:saga: PostgreSQL and Kafka only)', () => {
    const skipped: string[] = [];
    const stores = ['postgres', 'kafka-producer', 'eventbus', 'saga', 'saga-describe'] as const;
    expect(runnableHandlers(manifest, 'consumer', { stores }, (m) => skipped.push(m))).toEqual(['SagaStarter']);
    expect(runnableHandlers(manifest, 'schedule', { stores }, (m) => skipped.push(m))).toEqual(['OrderOutboxRelay', 'OrderSagaSweeper', 'SagaStepRecordRetention']);
    expect(skipped).toContain('consumer CatalogProjector needs opensearch, redis, which this run does not have: not started');
    expect(skipped).toContain('schedule CatalogRelay needs docdb, which this run does not have: not started');
    expect(skipped).toContain('consumer NotificationConsumer needs email, which this run does not have: not started');
    expect(skipped).toContain('schedule Web3PaymentWatcher needs chain, which this run does not have: not started');
  });
});
