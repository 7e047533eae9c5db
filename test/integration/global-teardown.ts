/**
 * jest global teardown: releases this run's lease on the engines. When no other test run holds one,
 * the engines that a test run started are stopped; engines that were running before are kept.
 */
import { releaseLease } from '../../local/engines';

export default async function globalTeardown(): Promise<void> {
  const stopped = await releaseLease({ log: () => undefined });
  if (stopped.length) process.stderr.write(`engines: stopped ${stopped.join(', ')} (started by this test run; KEEP_ENGINES=1 keeps them)\n`);
}
