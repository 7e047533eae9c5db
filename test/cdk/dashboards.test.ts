import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { METRICS_NAMESPACE } from '../../lib/constructs/shop-function';

const dir = path.resolve(__dirname, '..', '..', 'dashboards');

describe('Grafana dashboards (dashboards/*.json)', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  test('there is a platform dashboard', () => {
    expect(files).toContain('shop-platform.json');
  });

  test.each(files)('%s is a Grafana dashboard whose panels query CloudWatch', (file) => {
    const d = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { uid: string; title: string; panels: Array<{ id: number; title: string; targets: unknown[] }> };
    expect(d.uid).toMatch(/^[a-z0-9-]+$/);
    expect(d.panels.length).toBeGreaterThan(0);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) expect([p.title, p.targets.length > 0]).toEqual([p.title, true]);
  });

  test('shows the same figures as the CloudWatch dashboard', () => {
    const text = readFileSync(path.join(dir, 'shop-platform.json'), 'utf8');
    for (const needle of [`{${METRICS_NAMESPACE},service}`, 'OrdersPlaced', 'SagaSucceeded', 'SagaFailed', 'ExecutionsSucceeded', 'p99', 'Errors', 'OffsetLag', 'CacheHit', 'CacheMiss', 'SearchLatency', 'ProjectionLag', 'SagaRestarted', 'SagaStuck', 'StepRecordRetentionLagHours', 'StepRecordsDeleted', 'SagaStarterDeadLettered', 'OutboxOldestUnsentSeconds', 'NotificationsSent', 'NotificationsRejected', 'NotificationConsumerDeadLettered', 'Reputation.BounceRate', 'CryptoPaymentsVerified', 'CryptoRefundsDue', 'CryptoPaymentsUnattributed']) {
      expect([needle, text.includes(needle)]).toEqual([needle, true]);
    }
  });
});
