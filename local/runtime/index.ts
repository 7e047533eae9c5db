/**
 * The local runtime: the platform manifest (lib/manifest) run on one machine against the real engines.
 * The SAME handlers and the SAME statemachines/*.asl.json that CDK deploys; a handler never knows
 * which deployer runs it (it reads its config from the environment, set here as CDK sets it there).
 *
 * API (stable; the saga, benchmarks and tests build on it):
 *
 *   const p = await startPlatform(opts?)        // everything below is optional
 *     opts.port                 gateway port (default PORT env or 3000; 0 = any free port)
 *     opts.awsPort              AWS JSON endpoint port (Step Functions + EventBridge; default 3001; 0 = any,
 *                               reusing the previous platform's port in this process: SDK clients keep their endpoint)
 *     opts.host                 default 127.0.0.1
 *     opts.components           subset of ['gateway','consumers','schedules','sfn','aws-endpoint'] (default: all)
 *     opts.manifest             a manifest override (e.g. the real one plus test-only services/topics)
 *     opts.stateMachines        extra state machines to register: [{ name, definition (object | repo path), taskFunctions }]
 *     opts.scheduleIntervalMs   schedule handlers' interval (default 1000)
 *     opts.retryIntervalOverrides  ms before each ASL retry: one number for every state, or { StateName: ms | ms[] }
 *     opts.executionStore       'postgres' (default: table local_runtime.sfn_executions) | 'memory' | an ExecutionStore
 *                               (a store you pass is not closed by stop(): share it between platforms to simulate a restart)
 *     opts.resumeRunningExecutions  re-run executions a crash left RUNNING (default false; `npm start` sets true)
 *     opts.consumer             { attempts?: 3, backoffMs?: 200, groupIdSuffix?: '', fromBeginning?: true }
 *     opts.includeUnimplemented also run consumers/schedules of handlers with implemented:false (default false)
 *     opts.handlerTimeoutMs     overrides every handler's timeout
 *     opts.authorizerCacheTtlSeconds  authorizer decision cache per Authorization header (default 300, as deployed; 0 = off)
 *   p.url                       gateway base URL, e.g. http://127.0.0.1:3000 (GET /health, GET /openapi.json, manifest routes)
 *   p.awsUrl                    AWS endpoint URL (also put in AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_EVENTBRIDGE)
 *   p.sfn                       LocalStepFunctions: startExecution({ stateMachineArn, name?, input? }), describeExecution(arn),
 *                               listExecutions({ stateMachineArn, statusFilter? }), getExecutionHistory(arn) -> HistoryEvent[],
 *                               waitForExecution(arn, timeoutMs?), drain(), stateMachineArn(name), register({...})
 *   p.stateMachineArns          { OrderSaga: 'arn:aws:states:us-east-1:000000000000:stateMachine:OrderSaga', ... }
 *   p.bus                       LocalEventBus: putEvents(entries), events (every event put), subscribe(fn), drain()
 *   p.mail                      LocalMailbox: what SES SendEmail was sent through the AWS endpoint (messages, waitFor(match))
 *   p.handlers                  HandlerRegistry: invoke(name, event) like a Lambda RequestResponse invoke
 *   p.schedules                 runNow(handlerName)
 *   p.consumers                 the running consumer groups
 *   p.stop()                    consumers disconnect, schedules finish, executions drain (5 s) then abort, servers close, pools end
 *
 * Environment set for handlers (a variable already set wins, except the endpoint ones this process owns):
 *   engine endpoints (PG_URL, KAFKA_BROKERS, REDIS_URL, ...; see local/engines/endpoints.ts; each handler's
 *   PostgreSQL queries run as its service's role, PG_URL with svc_<service>: local/runtime/db-roles.ts), dummy AWS
 *   credentials and region, JWT_SECRET (dev default), STATE_MACHINE_ARN (first manifest state machine),
 *   EVENT_BUS_NAME, AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_EVENTBRIDGE and AWS_ENDPOINT_URL_SESV2 (the AWS endpoint),
 *   and with the AWS endpoint NOTIFICATION_SENDER=ses (the notification consumer sends through it).
 *
 * Step Functions semantics to rely on (same as AWS Standard): StartExecution with a used name returns the
 * running execution when the input is the same; otherwise (different input, or the execution already ended)
 * it throws ExecutionAlreadyExists, so a saga starter must treat ExecutionAlreadyExists as "already started".
 */
import '../polyfills';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { allHandlers, manifest as defaultManifest, validateManifest, type PlatformManifest, type StoreRef } from '../../lib/manifest';
import { engineEnv } from '../engines/endpoints';
import { useServiceRoles } from '../../functions/shared/adapters/pg';
import { localServiceRoles, serviceRolesEnabled } from './db-roles';
import { startAwsEndpoint, type AwsEndpoint } from './aws-endpoint';
import { createTopics, startConsumers, type ConsumerGroups } from './consumers';
import { DEV_JWT_SECRET, engineEndpoints, LOCAL_EVENT_BUS, localWeb3Env, setDefaultEnv } from './env';
import { LocalEventBus } from './eventbus';
import { startGateway, type Gateway } from './gateway';
import { HandlerRegistry, REPO_ROOT } from './handlers';
import { log } from './log';
import { LocalMailbox } from './mailbox';
import { startSchedules, type Schedules } from './schedules';
import { LocalStepFunctions, type RegisterOptions, type RetryIntervalOverrides } from './sfn/runner';
import { MemoryExecutionStore, PgExecutionStore } from './sfn/store';
import type { ExecutionStore } from './sfn/types';

export { LocalStepFunctions } from './sfn/runner';
export type { RegisterOptions, RetryIntervalOverrides } from './sfn/runner';
export { MemoryExecutionStore, PgExecutionStore } from './sfn/store';
export * from './sfn/types';
export { LocalEventBus } from './eventbus';
export { LocalMailbox, type ReceivedMail } from './mailbox';
export type { BusEvent, PutEventsEntry, PutEventsResult } from './eventbus';
export { HandlerRegistry, LambdaInvocationError } from './handlers';
export { createTopics, DEAD_LETTER_TOPIC, kafkaClient } from './consumers';
export { buildMskEvent, type MskEvent, type MskRecord } from './msk-event';
export { buildProxyEvent, buildAuthorizerEvent } from './apigw-event';
export { scheduledEvent } from './schedules';
export { matchesPattern } from './event-pattern';
export { LOCAL_EVENT_BUS, LOCAL_ACCOUNT } from './env';

export type Component = 'gateway' | 'consumers' | 'schedules' | 'sfn' | 'aws-endpoint';
export const ALL_COMPONENTS: readonly Component[] = ['gateway', 'consumers', 'schedules', 'sfn', 'aws-endpoint'];

export interface PlatformOptions {
  readonly port?: number;
  readonly awsPort?: number;
  readonly host?: string;
  readonly components?: readonly Component[];
  readonly manifest?: PlatformManifest;
  readonly stateMachines?: readonly RegisterOptions[];
  readonly scheduleIntervalMs?: number;
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  readonly executionStore?: 'postgres' | 'memory' | ExecutionStore;
  readonly resumeRunningExecutions?: boolean;
  readonly consumer?: { attempts?: number; backoffMs?: number; groupIdSuffix?: string; fromBeginning?: boolean };
  readonly includeUnimplemented?: boolean;
  /**
   * The stores running here (default: all). Consumers and schedules of handlers that need another
   * store are not started, with a log line: e.g. bench:saga runs only PostgreSQL and Kafka, so the
   * catalog's consumer and relay (DocumentDB, OpenSearch) stay off instead of failing every run.
   */
  readonly stores?: readonly StoreRef[];
  readonly handlerTimeoutMs?: number;
  /** Authorizer decision cache per Authorization header (as deployed: 300 s). 0 disables. */
  readonly authorizerCacheTtlSeconds?: number;
}

export interface Platform {
  readonly url: string;
  readonly awsUrl: string;
  readonly manifest: PlatformManifest;
  readonly handlers: HandlerRegistry;
  readonly sfn: LocalStepFunctions;
  readonly stateMachineArns: Readonly<Record<string, string>>;
  readonly bus: LocalEventBus;
  readonly mail: LocalMailbox;
  readonly consumers: ConsumerGroups | undefined;
  readonly schedules: Schedules | undefined;
  stop(): Promise<void>;
}

let lastAwsPort: number | undefined;

/**
 * The consumers or schedules this run starts: implemented ones (unless includeUnimplemented) whose
 * stores all run here (when `stores` is given). Each one left out is reported through `skipped`.
 */
export function runnableHandlers(
  manifest: PlatformManifest,
  kind: 'consumer' | 'schedule',
  opts: { readonly includeUnimplemented?: boolean; readonly stores?: readonly StoreRef[] } = {},
  skipped: (message: string) => void = () => undefined,
): string[] {
  return allHandlers(manifest)
    .filter((h) => (kind === 'consumer' ? (h.consumes ?? []).length > 0 : h.kind === 'schedule'))
    .filter((h) => {
      if (h.implemented || opts.includeUnimplemented) return true;
      skipped(`${kind} ${h.name} is not implemented (manifest implemented:false): not started`);
      return false;
    })
    .filter((h) => {
      const missing = opts.stores ? (h.stores ?? []).filter((s) => !opts.stores!.includes(s)) : [];
      if (missing.length === 0) return true;
      skipped(`${kind} ${h.name} needs ${missing.join(', ')}, which this run does not have: not started`);
      return false;
    })
    .map((h) => h.name);
}

export async function startPlatform(opts: PlatformOptions = {}): Promise<Platform> {
  const manifest = opts.manifest ?? defaultManifest;
  validateManifest(manifest);
  const on = new Set(opts.components ?? ALL_COMPONENTS);
  setDefaultEnv(engineEnv());
  if (!process.env.JWT_SECRET && !process.env.JWT_SECRET_ARN) process.env.JWT_SECRET = DEV_JWT_SECRET;
  process.env.EVENT_BUS_NAME = LOCAL_EVENT_BUS;
  setDefaultEnv({ STAGE: 'local', POWERTOOLS_METRICS_NAMESPACE: 'Shop', POWERTOOLS_DEV: 'true' });
  setDefaultEnv(localWeb3Env());

  // Each handler's PostgreSQL queries run as its own service's role (local/runtime/db-roles.ts);
  // LOCAL_PG_SERVICE_ROLES=false keeps every handler on PG_URL's role.
  useServiceRoles(serviceRolesEnabled() ? localServiceRoles() : undefined);
  const handlers = new HandlerRegistry(manifest, REPO_ROOT, opts.handlerTimeoutMs);
  const bus = new LocalEventBus(manifest, handlers);
  const mail = new LocalMailbox();
  const { pgUrl, kafkaBrokers } = engineEndpoints();
  // Stopped in this order: gateway, schedules, consumers (no new work), executions drain, AWS endpoint, shared adapters.
  const cleanups: Partial<Record<'gateway' | 'schedules' | 'consumers' | 'sfn' | 'aws', () => Promise<void>>> = {};
  const stopAll = async () => {
    for (const k of ['gateway', 'schedules', 'consumers', 'sfn', 'aws'] as const) {
      await cleanups[k]?.().catch((err: Error) => log.error(`stop: ${k} failed`, { error: err.message }));
    }
    await closeSharedAdapters();
  };

  try {
    let store: ExecutionStore;
    if (opts.executionStore === 'memory' || !on.has('sfn')) store = new MemoryExecutionStore();
    else if (opts.executionStore && typeof opts.executionStore === 'object') store = opts.executionStore;
    else store = new PgExecutionStore(pgUrl);
    const sfn = new LocalStepFunctions({ manifest, handlers, bus, store, closeStoreOnStop: typeof opts.executionStore !== 'object', ...(opts.retryIntervalOverrides !== undefined ? { retryIntervalOverrides: opts.retryIntervalOverrides } : {}) });
    cleanups.sfn = () => sfn.stop();
    const stateMachineArns: Record<string, string> = {};
    if (on.has('sfn')) {
      await store.init();
      for (const sm of manifest.stateMachines) {
        if (!existsSync(path.resolve(REPO_ROOT, sm.definitionFile))) {
          log.warn(`sfn: ${sm.definitionFile} does not exist yet; state machine ${sm.name} NOT registered`);
          continue;
        }
        stateMachineArns[sm.name] = sfn.registerFromDef(sm);
      }
      for (const r of opts.stateMachines ?? []) stateMachineArns[r.name] = sfn.register(r);
      const first = manifest.stateMachines[0];
      if (first && stateMachineArns[first.name]) process.env.STATE_MACHINE_ARN = stateMachineArns[first.name];
      if (opts.resumeRunningExecutions) await sfn.resumeRunning();
    }

    let aws: AwsEndpoint | undefined;
    if (on.has('aws-endpoint')) {
      // SDK clients made at a handler's cold start keep the endpoint they read then; a platform restarted
      // in the same process (tests) therefore reuses the previous port when any port will do.
      const wanted = opts.awsPort ?? 3001;
      const host = opts.host ? { host: opts.host } : {};
      if (wanted === 0 && lastAwsPort) aws = await startAwsEndpoint({ sfn, bus, mail, port: lastAwsPort, ...host }).catch(() => undefined);
      aws ??= await startAwsEndpoint({ sfn, bus, mail, port: wanted, ...host });
      lastAwsPort = Number(new URL(aws.url).port);
      cleanups.aws = () => aws!.close();
      process.env.AWS_ENDPOINT_URL_SFN = aws.url;
      process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = aws.url;
      process.env.AWS_ENDPOINT_URL_SESV2 = aws.url;
      setDefaultEnv({ NOTIFICATION_SENDER: 'ses' });
    }

    const runnable = (kind: 'consumer' | 'schedule') =>
      runnableHandlers(manifest, kind, opts, (m) => log.warn(m));

    let consumers: ConsumerGroups | undefined;
    if (on.has('consumers')) {
      await createTopics(manifest, kafkaBrokers);
      const only = runnable('consumer');
      if (only.length > 0) {
        consumers = await startConsumers({ manifest, handlers, brokers: kafkaBrokers, only, ...opts.consumer });
        cleanups.consumers = () => consumers!.stop();
      }
    }

    let schedules: Schedules | undefined;
    if (on.has('schedules')) {
      schedules = startSchedules({ manifest, handlers, only: runnable('schedule'), ...(opts.scheduleIntervalMs !== undefined ? { intervalMs: opts.scheduleIntervalMs } : {}) });
      cleanups.schedules = () => schedules!.stop();
    }

    let gateway: Gateway | undefined;
    if (on.has('gateway')) {
      const port = opts.port ?? (process.env.PORT ? Number(process.env.PORT) : 3000);
      gateway = await startGateway({
        manifest,
        handlers,
        port,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.authorizerCacheTtlSeconds !== undefined ? { authorizerCacheTtlSeconds: opts.authorizerCacheTtlSeconds } : {}),
      });
      cleanups.gateway = () => gateway!.close();
    }

    let stopped: Promise<void> | undefined;
    return {
      url: gateway?.url ?? '',
      awsUrl: aws?.url ?? '',
      manifest,
      handlers,
      sfn,
      stateMachineArns,
      bus,
      mail,
      consumers,
      schedules,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Ends the pools and clients the handlers opened through functions/shared/adapters (each a no-op when unused). */
export async function closeSharedAdapters(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const closers: Array<() => Promise<void>> = [
    () => (require('../../functions/shared/adapters/kafka') as typeof import('../../functions/shared/adapters/kafka')).closeProducer(),
    () => (require('../../functions/shared/adapters/pg') as typeof import('../../functions/shared/adapters/pg')).closePool(),
    () => (require('../../functions/shared/adapters/redis') as typeof import('../../functions/shared/adapters/redis')).closeRedis(),
    () => (require('../../functions/shared/adapters/mongo') as typeof import('../../functions/shared/adapters/mongo')).closeMongo(),
    () => (require('../../functions/shared/adapters/opensearch') as typeof import('../../functions/shared/adapters/opensearch')).closeOpenSearch(),
  ];
  /* eslint-enable @typescript-eslint/no-require-imports */
  await Promise.all(closers.map((c) => c().catch((err: Error) => log.warn('stop: adapter close failed', { error: err.message }))));
}
