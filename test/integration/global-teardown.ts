/**
 * jest global teardown: releases this run's lease on the engines. When no other test run holds one,
 * the engines that a test run started are stopped; engines that were running before are kept.
 * The engines module is required here, after the global setup settled ENGINES_STATE_DIR.
 */
export default async function globalTeardown(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { releaseLease } = require('../../local/engines') as typeof import('../../local/engines');
  const stopped = await releaseLease({ log: () => undefined });
  if (stopped.length) process.stderr.write(`engines: stopped ${stopped.join(', ')} (started by this test run; KEEP_ENGINES=1 keeps them)\n`);
}
