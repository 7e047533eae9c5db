import { z } from 'zod';
import { loadConfig } from '../../shared/config';
import { logger } from '../../shared/powertools';
import { count } from '../adapters/metrics';
import { SfnSagaStarter } from '../adapters/sfn-saga-starter';
import { sweepSagas, type SweepReport } from '../use-cases/sweep-sagas';

const config = loadConfig(
  z.object({
    STATE_MACHINE_ARN: z.string().startsWith('arn:'),
    SAGA_SWEEPER_MIN_AGE_SECONDS: z.coerce.number().nonnegative().default(300),
    SAGA_SWEEPER_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
    SAGA_SWEEPER_MAX_RESTARTS: z.coerce.number().int().nonnegative().default(3),
  }),
);
const executions = new SfnSagaStarter(config.STATE_MACHINE_ARN);

/**
 * OrderSagaSweeper (schedule): drives every order still PENDING/CONFIRMING/CANCELLING after
 * SAGA_SWEEPER_MIN_AGE_SECONDS to a terminal state (starts a saga that never started, restarts one
 * whose execution ended; SagaStuck when the restarts are exhausted). See use-cases/sweep-sagas.ts.
 */
export const handler = async (_event?: unknown): Promise<SweepReport> => {
  const report = await sweepSagas(
    { executions, onStarted: () => count('SagaRestarted'), onStuck: () => count('SagaStuck') },
    { minAgeSeconds: config.SAGA_SWEEPER_MIN_AGE_SECONDS, batchSize: config.SAGA_SWEEPER_BATCH_SIZE, maxRestarts: config.SAGA_SWEEPER_MAX_RESTARTS },
  );
  if (report.checked > 0) {
    logger.info('saga sweeper run', { checked: report.checked, running: report.running.length, started: report.started.length, restarted: report.restarted.length, stuck: report.stuck.length, settled: report.settled.length, failed: report.failed.length });
  }
  return report;
};
