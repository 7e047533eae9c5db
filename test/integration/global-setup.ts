/**
 * jest global setup for the integration project: starts the engines (or reuses running ones) and
 * puts their endpoints in process.env, which the test workers inherit.
 *
 * Engines this run starts are marked disposable: global-teardown stops them when the last test run
 * that uses them ends. Engines that were already running (`npm run engines -- start`, `npm start`)
 * are left running. Set KEEP_ENGINES=1 to keep what this run starts (faster next run).
 * An engine whose URL variable is set (PG_URL, ...) is only checked, never started.
 *
 * When no engine is running, the run starts its own on a data folder of its own (`.engines/test`),
 * so the orders, topics and executions the tests make never land in the data `npm start` uses
 * (a later `npm start` would otherwise replay thousands of test orders from `order-created`).
 */
import '../../local/polyfills';
import * as path from 'node:path';
import { anyEngineRunning } from '../../local/engines/endpoints';

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const log = (m: string): void => {
    process.stderr.write(`engines: ${m}\n`);
  };
  if (!process.env.ENGINES_STATE_DIR && !(await anyEngineRunning())) {
    process.env.ENGINES_STATE_DIR = path.join(__dirname, '..', '..', '.engines', 'test');
  }
  // Loaded after ENGINES_STATE_DIR is settled: the engines module reads it once.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { acquireLease, engineEnv, releaseLease, startEngines } = require('../../local/engines') as typeof import('../../local/engines');
  await acquireLease();
  try {
    const keep = process.env.KEEP_ENGINES === '1' || process.env.KEEP_ENGINES === 'true';
    const r = await startEngines({ ephemeral: !keep, log });
    Object.assign(process.env, engineEnv());
    // Which engines were given by the user's own URL variables (the rest are ours to manage).
    process.env.ENGINES_EXTERNAL = r.external.join(',');
    const parts = [
      r.started.length ? `started ${r.started.join(', ')}` : '',
      r.reused.length ? `reused ${r.reused.join(', ')}` : '',
      r.external.length ? `external ${r.external.join(', ')}` : '',
    ].filter(Boolean);
    const where = process.env.ENGINES_STATE_DIR ? ` (data in ${path.relative(process.cwd(), process.env.ENGINES_STATE_DIR)})` : '';
    process.stderr.write(`\nengines ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${parts.join('; ')})${where}\n`);
  } catch (err) {
    await releaseLease({ log }).catch(() => undefined);
    throw err;
  }
}
