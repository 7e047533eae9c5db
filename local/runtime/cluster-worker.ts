/** Entry of a local runtime cluster worker (see cluster.ts). */
import '../polyfills';
import { runWorker } from './cluster';

runWorker().catch((err: Error) => {
  process.stderr.write(`local runtime worker failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
