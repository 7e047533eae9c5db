import { countMetric, logger } from '../../shared/powertools';
import { web3Config } from '../config';
import { watchPayments } from '../use-cases/watch-payments';

const config = web3Config();
const hooks = {
  onVerified: () => countMetric('CryptoPaymentsVerified'),
  onRefundDue: () => countMetric('CryptoRefundsDue'),
  onUnattributed: (n: number) => countMetric('CryptoPaymentsUnattributed', n),
};

/** Web3PaymentWatcher (schedule): records the shop wallet's incoming stablecoin payments nobody verified (use-cases/watch-payments.ts). */
export const handler = async (_event?: unknown) => {
  const r = await watchPayments(config, hooks);
  if (r && (r.recorded || r.unattributed || r.refused)) logger.info('payment watcher', { ...r });
  return r ?? { skipped: 'crypto payments are not configured' };
};
