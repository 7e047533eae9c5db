/**
 * `npm start`: the whole platform on this machine.
 *   1. engines: started or reused (an env var such as PG_URL points at an existing one instead);
 *   2. PostgreSQL migrations (functions/platform/migrations.ts, the code the CDK custom resource runs);
 *   3. Kafka topics of the manifest; consumers, schedules, the Step Functions runner, the EventBridge
 *      bus, the AWS JSON endpoint and the API gateway (see local/runtime/index.ts);
 *   4. prints where everything is; Ctrl-C (SIGINT) or SIGTERM stops everything cleanly, exit code 0
 *      (a second Ctrl-C exits at once with 130; running executions then stay RUNNING and resume next start).
 * Env: PORT (gateway, default 3000), AWS_PORT (Step Functions/EventBridge endpoint, default 3001),
 *      SCHEDULE_INTERVAL_MS (default 1000), SKIP_ENGINES=1 (do not start engines, only use the endpoints),
 *      LOCAL_COMPONENTS=gateway,sfn,... (a subset of gateway, consumers, schedules, sfn, aws-endpoint; default all),
 *      LOCAL_WORKERS=auto|N (default auto = half the cores, at most 4; 1 = everything in this
 *      process; see local/runtime/cluster.ts for what the workers share),
 *      LOCAL_CONSUMER_GROUP_SUFFIX (appended to every consumer group: a second runtime on the same Kafka),
 *      LOCAL_CONSUMERS_FROM=latest (a NEW consumer group starts at the end of its topics, not the beginning).
 */
import './polyfills';
import { engineEnv, endpoints } from './engines/endpoints';
import { LOCAL_CHAIN } from './engines/chain';
import { ALL_COMPONENTS, LOCAL_EVENT_BUS, startPlatform, type Component } from './runtime';
import { startCluster, workerCount } from './runtime/cluster';
import { startPauseTrace } from './runtime/pause-trace';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain-JS launcher, no typings
const { LAMBDA_NODE_MAJOR } = require('../scripts/lambda-node.js') as { LAMBDA_NODE_MAJOR: number };

const say = (m: string) => process.stdout.write(`${m}\n`);

async function main(): Promise<void> {
  const t0 = Date.now();
  if (process.env.SKIP_ENGINES !== '1') {
    say('engines: starting or reusing (first run installs them; this can take a few minutes)...');
    const { ensureEngines } = await import('./engines');
    await ensureEngines();
  }
  for (const [k, v] of Object.entries(engineEnv())) if (!process.env[k]) process.env[k] = v;

  try {
    const { runMigrations } = await import('../functions/platform/migrations');
    const ran = await runMigrations({ log: () => undefined });
    say(`migrations: ${ran.length === 0 ? 'up to date' : `applied ${ran.join(', ')}`}`);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') say('!!! migrations: functions/platform/migrations.ts has no runMigrations yet: SKIPPED (the database may lack tables) !!!');
    else throw err;
  }

  const components = (process.env.LOCAL_COMPONENTS ?? '').split(',').map((c) => c.trim()).filter(Boolean) as Component[];
  const unknown = components.filter((c) => !ALL_COMPONENTS.includes(c));
  if (unknown.length > 0) throw new Error(`LOCAL_COMPONENTS: unknown component(s) ${unknown.join(', ')} (expected ${ALL_COMPONENTS.join(', ')})`);
  const workers = workerCount();
  const consumerGroupSuffix = process.env.LOCAL_CONSUMER_GROUP_SUFFIX ?? '';
  const fromLatest = process.env.LOCAL_CONSUMERS_FROM === 'latest';
  const common = {
    ...(components.length > 0 ? { components } : {}),
    port: Number(process.env.PORT ?? 3000),
    awsPort: Number(process.env.AWS_PORT ?? 3001),
    scheduleIntervalMs: Number(process.env.SCHEDULE_INTERVAL_MS ?? 1000),
    resumeRunningExecutions: true,
    ...(consumerGroupSuffix || fromLatest ? { consumer: { groupIdSuffix: consumerGroupSuffix, fromBeginning: !fromLatest } } : {}),
  };
  let platform: {
    url: string;
    awsUrl: string;
    stateMachineArns: Readonly<Record<string, string>>;
    consumers: ReadonlyArray<{ handler: string; topics: readonly string[] }>;
    schedules: readonly string[];
    stop(): Promise<void>;
  };
  let workerLine = `1, in this process (pid ${process.pid}; LOCAL_WORKERS=N runs N worker processes)`;
  if (workers > 1) {
    const c = await startCluster({ ...common, workers, log: say });
    platform = c;
    workerLine = `${c.workers.map((w) => `#${w.index} pid ${w.pid}`).join(', ')}  (LOCAL_WORKERS=${workers}; schedules run in #1)`;
  } else {
    startPauseTrace(); // LOCAL_PAUSE_TRACE (the workers start their own)
    const p = await startPlatform(common);
    platform = { ...p, consumers: p.consumers?.groups ?? [], schedules: p.schedules?.handlers ?? [], stop: () => p.stop() };
  }

  const e = endpoints();
  const sms = Object.entries(platform.stateMachineArns);
  say('');
  say(`shop is running (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  say(`  API gateway        ${platform.url || '(not started)'}            (GET /health)`);
  if (platform.url) say(`  OpenAPI document   ${platform.url}/openapi.json`);
  say(`  Step Functions     ${platform.awsUrl}            (AWS_ENDPOINT_URL_SFN; ${sms.map(([n, a]) => `${n}: ${a}`).join(', ') || 'no state machine'})`);
  say(`  EventBridge        ${platform.awsUrl}            (AWS_ENDPOINT_URL_EVENTBRIDGE; bus ${LOCAL_EVENT_BUS})`);
  say(`  SES (email)        ${platform.awsUrl}            (AWS_ENDPOINT_URL_SESV2; notification mail is logged, kept in memory, never delivered)`);
  say(`  workers            ${workerLine}`);
  const lambdaNode = `nodejs${LAMBDA_NODE_MAJOR}.x`;
  const onLambdaNode = Number(process.versions.node.split('.')[0]) === LAMBDA_NODE_MAJOR;
  say(`  Node.js            ${process.versions.node}${onLambdaNode ? ` (as the Lambdas: ${lambdaNode})` : ` (the Lambdas run ${lambdaNode}: \`npm start\` runs on it through scripts/lambda-node.js)`}`);
  say(`  consumers          ${platform.consumers.map((g) => `${g.handler}<-${g.topics.join('+')}`).join(', ') || 'none'}`);
  say(`  schedules          ${platform.schedules.join(', ') || 'none'}`);
  say(`  PostgreSQL         ${e.pgUrl}`);
  say(`  Kafka              ${e.kafkaBrokers.join(',')}`);
  say(`  Redis              ${e.redisUrl}`);
  say(`  OpenSearch         ${e.opensearchUrl}`);
  say(`  Mongo wire         ${e.mongoUrl}`);
  say(`  DynamoDB           ${e.dynamodbEndpoint}`);
  say(`  Ethereum JSON-RPC  ${e.chainRpcUrl} (chain 31337; the shop's stablecoin ${LOCAL_CHAIN.tokenAddress}, its wallet ${LOCAL_CHAIN.payeeAddress})`);
  say('Ctrl-C stops it (engines keep running: npm run engines -- stop).');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      say(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    say(`\n${signal}: stopping...`);
    const force = setTimeout(() => {
      say('shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20000);
    force.unref();
    platform.stop().then(
      () => {
        say('stopped.');
        process.exit(0);
      },
      (err: Error) => {
        say(`stop failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`npm start failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
