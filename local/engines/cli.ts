/**
 * npm run engines -- install | start | stop | status | env   [engine ...]
 *
 *   install  fetch what is missing into .cache/ (apt for PostgreSQL and Redis), idempotent
 *   start    install if needed, start (or reuse) and wait until each answers a real query
 *   stop     stop the engines this project started (recorded pids only)
 *   status   what runs where
 *   env      print the environment variables (export lines) that point clients at the engines
 *   --quiet  (install) print only what gets installed
 *
 * Engines: postgres redis kafka opensearch mongo dynamodb chain (default: all). An engine whose URL
 * variable is set (PG_URL, REDIS_URL, KAFKA_BROKERS, OPENSEARCH_URL, MONGO_URL, DYNAMODB_ENDPOINT,
 * CHAIN_RPC_URL) is used as it is: never installed, started or stopped.
 */
import '../polyfills';

// Node 20 locally (Lambda runs 22): the AWS SDK's notice about it is noise for the engines CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { ENGINE_NAMES, type EngineName } from './endpoints';
import { engineEnv, engineStatus, installEngines, startEngines, stopEngines, ENGINES } from './index';

const USAGE = `usage: npm run engines -- <install|start|stop|status|env> [${ENGINE_NAMES.join('|')} ...]`;

async function main(argv: string[]): Promise<number> {
  const quiet = argv.includes('--quiet');
  const [cmd, ...rest] = argv.filter((a) => a !== '--quiet');
  const bad = rest.filter((r) => !ENGINE_NAMES.includes(r as EngineName));
  if (!cmd || bad.length) {
    process.stderr.write(`${bad.length ? `unknown engine(s): ${bad.join(', ')}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const only = rest.length ? (rest as EngineName[]) : undefined;
  const t0 = Date.now();
  switch (cmd) {
    case 'install': {
      await installEngines({ ...(only ? { only } : {}) });
      if (!quiet) process.stdout.write(`engines installed (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      return 0;
    }
    case 'start': {
      const r = await startEngines({ persist: true, ...(only ? { only } : {}) });
      const eps = r.endpoints;
      for (const n of only ?? ENGINE_NAMES) {
        const how = r.external.includes(n) ? 'external' : r.started.includes(n) ? `started in ${r.seconds[n]?.toFixed(1)} s` : 'already running';
        process.stdout.write(`${n.padEnd(11)} ${ENGINES[n].where(eps).padEnd(48)} ${how}\n`);
      }
      process.stdout.write(`all ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      return 0;
    }
    case 'stop': {
      const stopped = await stopEngines({ ...(only ? { only } : {}) });
      process.stdout.write(stopped.length ? `stopped: ${stopped.join(', ')}\n` : 'nothing of ours was running\n');
      return 0;
    }
    case 'status': {
      const st = await engineStatus({ ...(only ? { only } : {}) });
      for (const s of st) {
        const state = s.ready ? 'ready' : s.pid ? 'starting (not answering)' : 'not running';
        const who = s.external ? 'external' : s.pid ? `pid ${s.pid}` : s.ready ? 'not ours' : s.installed ? 'installed' : 'not installed';
        process.stdout.write(`${s.name.padEnd(11)} ${state.padEnd(25)} ${who.padEnd(14)} ${s.where.padEnd(48)} ${s.external ? '' : s.log}\n`);
      }
      return st.every((s) => s.ready) ? 0 : 1;
    }
    case 'env': {
      for (const [k, v] of Object.entries(engineEnv())) process.stdout.write(`export ${k}=${v}\n`);
      return 0;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`\n${err.message}\n`);
    process.exit(1);
  },
);
