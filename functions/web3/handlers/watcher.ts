import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '../../shared/powertools';
import { web3Config } from '../config';
import { watchPayments } from '../use-cases/watch-payments';

const config = web3Config();
const count = (name: string) => (n = 1): void => {
  metrics.addMetric(name, MetricUnit.Count, n);
  metrics.publishStoredMetrics();
};
const hooks = { onVerified: count('CryptoPaymentsVerified'), onRefundDue: count('CryptoRefundsDue'), onUnattributed: count('CryptoPaymentsUnattributed') };

/** Web3PaymentWatcher (schedule): records the shop wallet's incoming stablecoin payments nobody verified (use-cases/watch-payments.ts). */
export const handler = async (_event?: unknown) => {
  const r = await watchPayments(config, hooks);
  if (r && (r.recorded || r.unattributed || r.refused)) logger.info('payment watcher', { ...r });
  return r ?? { skipped: 'crypto payments are not configured' };
};
