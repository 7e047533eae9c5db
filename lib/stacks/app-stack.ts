import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CustomResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { isDbService } from '../../functions/platform/db-roles';
import type { StageConfig } from '../config';
import { allHandlers, type HandlerDef, type PlatformManifest, type ServiceName, type StoreRef } from '../manifest';
import { acknowledge, REASONS } from '../constructs/nag';
import { SagaStateMachine } from '../constructs/saga-state-machine';
import { ShopApi } from '../constructs/shop-api';
import { REPO_ROOT, ShopFunction } from '../constructs/shop-function';
import type { CacheRef, ChainRef, DocDbRef, PostgresRef } from './data-stack';
import type { EmailRef, KafkaRef } from './messaging-stack';

export interface AppStackProps extends StackProps {
  readonly config: StageConfig;
  readonly manifest: PlatformManifest;
  readonly vpc: ec2.IVpc;
  readonly appSubnets: ec2.SubnetSelection;
  readonly postgres: PostgresRef;
  readonly docdb: DocDbRef;
  readonly search: opensearch.IDomain & ec2.IConnectable;
  readonly cache: CacheRef;
  readonly idempotencyTable: dynamodb.ITable;
  readonly kafka: KafkaRef;
  readonly bus: events.IEventBus;
  readonly email: EmailRef;
  readonly chain: ChainRef;
}

/** Stores that only exist inside the VPC: a handler using one is placed in the private subnets. */
const VPC_STORES: ReadonlySet<StoreRef> = new Set(['postgres', 'docdb', 'opensearch', 'redis', 'kafka-producer']);
/**
 * Stores reached over the internet. A VPC function using one gets a closed security group that its
 * bindings open: each store's port to that store only, HTTPS for the outside service. (The other
 * functions keep aws-cdk-lib's allow-all egress for now.)
 */
const OUTSIDE_STORES: ReadonlySet<StoreRef> = new Set(['chain']);
/** Services whose handlers sign JWTs (log in, SIWE); the authorizer verifies them. */
const JWT_SIGNING_SERVICES: ReadonlySet<ServiceName> = new Set(['user', 'web3']);
/** Handlers that hash Idempotency-Key request bodies holding a payment token (keyed: functions/order/adapters/request-hash-key.ts). */
const REQUEST_HASH_HANDLERS: ReadonlySet<string> = new Set(['OrderApi']);
/** Custom-resource handlers that need the MSK admin binding instead of a store binding. */
const KAFKA_ADMIN_CUSTOM_RESOURCES: ReadonlySet<string> = new Set(['KafkaTopics']);
/** Migration files (CommonJS, repo root), shipped next to the migrations custom resource's bundle. */
const MIGRATION_DIRS: readonly string[] = ['migrations'];

export interface ConsumerBinding {
  readonly handler: string;
  readonly topic: string;
  readonly groupId: string;
  readonly dlq: sqs.IQueue;
}

/**
 * The stateless application, generated from the manifest: one ShopFunction per handler with its
 * store bindings; API routes (http), MSK event source mappings with an SQS on-failure destination
 * (consumer), EventBridge schedules (schedule) and bus rules (rules), the JWT authorizer, the saga
 * state machine (task), and Provider-backed custom resources (migrations, Kafka topics).
 */
export class AppStack extends Stack {
  public readonly functions = new Map<string, ShopFunction>();
  public readonly api: ShopApi;
  public readonly stateMachines = new Map<string, SagaStateMachine>();
  public readonly consumers: ConsumerBinding[] = [];
  public readonly jwtSecret: secretsmanager.ISecret;
  public readonly requestHashKey: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { config, manifest } = props;
    const handlers = allHandlers(manifest);

    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSecret', {
      description: `${config.prefix} HS256 key for the platform JWT`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledge(this.jwtSecret, { id: 'AwsSolutions-SMG4', reason: 'Rotating the JWT key invalidates live sessions; it is rotated by an operator runbook (docs/cdk.md), not on a schedule.' });

    this.requestHashKey = new secretsmanager.Secret(this, 'RequestHashKey', {
      description: `${config.prefix} HMAC key of the order Idempotency-Key request hash (the body holds the payment token)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledge(this.requestHashKey, { id: 'AwsSolutions-SMG4', reason: 'Rotating the request-hash key makes a retry of an order placed before the rotation a 409 instead of a replay; an operator rotates it between traffic windows (docs/saga.md), not on a schedule.' });

    // ---- one function per manifest handler -------------------------------------------------------
    for (const h of handlers) {
      const inVpc = h.stores.some((s) => VPC_STORES.has(s)) || KAFKA_ADMIN_CUSTOM_RESOURCES.has(h.name);
      const fn = new ShopFunction(this, h.name, {
        handler: h,
        stage: config.stage,
        logRetentionDays: config.functions.logRetentionDays,
        logLevel: config.functions.logLevel,
        applyReservedConcurrency: config.functions.applyReservedConcurrency,
        ...(h.kind === 'custom-resource' && h.stores.includes('postgres') ? { copyDirs: MIGRATION_DIRS } : {}),
        ...(inVpc ? { vpc: props.vpc, vpcSubnets: props.appSubnets, allowAllOutbound: !h.stores.some((s) => OUTSIDE_STORES.has(s)) } : {}),
      });
      for (const store of h.stores) this.bindStore(fn, h, store, props);
      if (h.kind === 'authorizer' || JWT_SIGNING_SERVICES.has(h.service)) fn.bindJwtSecret(this.jwtSecret);
      if (REQUEST_HASH_HANDLERS.has(h.name)) fn.bindRequestHashKey(this.requestHashKey);
      this.functions.set(h.name, fn);
    }
    // saga stores are bound after the state machines exist (below)

    // ---- triggers --------------------------------------------------------------------------------
    const groupUse = new Map<string, number>();
    for (const h of handlers) for (const c of h.consumes ?? []) groupUse.set(c.groupId, (groupUse.get(c.groupId) ?? 0) + 1);

    for (const h of handlers) {
      const fn = this.fn(h.name);
      // MSK consumers: one event source mapping per topic, each with an SQS on-failure destination.
      if ((h.consumes ?? []).length > 0) {
        if (h.kind !== 'consumer') throw new Error(`handler '${h.name}' (kind ${h.kind}) declares 'consumes'; only kind 'consumer' may`);
        const dlq = new sqs.Queue(this, `${h.name}Dlq`, {
          retentionPeriod: Duration.days(14),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
        });
        acknowledge(dlq, { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the on-failure destination (DLQ) of an MSK event source mapping.' });
        fn.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaMSKExecutionRole'));
        const groups = new Set<string>();
        for (const c of h.consumes ?? []) {
          // Lambda requires a consumer group id unique across all Kafka event sources.
          const groupId = (groupUse.get(c.groupId) ?? 0) > 1 ? `${c.groupId}.${c.topic}` : c.groupId;
          groups.add(groupId);
          fn.addEventSource(
            new sources.ManagedKafkaEventSource({
              clusterArn: props.kafka.clusterArn,
              topic: c.topic,
              consumerGroupId: groupId,
              batchSize: c.batchSize ?? 100,
              maxBatchingWindow: Duration.seconds(1),
              startingPosition: lambda.StartingPosition.TRIM_HORIZON,
              onFailure: new sources.SqsDlq(dlq),
            }),
          );
          this.consumers.push({ handler: h.name, topic: c.topic, groupId, dlq });
        }
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'KafkaConsume',
            actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
            resources: [props.kafka.clusterArn],
          }),
        );
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'KafkaConsumeTopics',
            actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
            resources: (h.consumes ?? []).map((c) => props.kafka.topicArn(c.topic)),
          }),
        );
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'KafkaConsumeGroups',
            actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
            resources: [...groups].map((g) => props.kafka.groupArn(g)),
          }),
        );
      }
      if (h.kind === 'schedule') {
        if (!h.schedule) throw new Error(`handler '${h.name}' is kind 'schedule' but has no 'schedule' expression`);
        new events.Rule(this, `${h.name}Schedule`, {
          description: `${h.name}: ${h.schedule}`,
          schedule: events.Schedule.expression(h.schedule),
          targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
        });
      }
      for (const r of h.rules ?? []) {
        new events.Rule(this, `${h.name}Rule${r.name}`, {
          description: `${h.name}: ${r.name}`,
          eventBus: props.bus,
          eventPattern: toEventPattern(r.pattern, `${h.name}/${r.name}`),
          targets: [new targets.LambdaFunction(fn, { retryAttempts: 4 })],
        });
      }
      if (h.kind === 'rule' && (h.rules ?? []).length === 0) throw new Error(`handler '${h.name}' is kind 'rule' but declares no rules`);
    }

    // ---- the saga state machine(s) --------------------------------------------------------------
    for (const def of manifest.stateMachines) {
      const sm = new SagaStateMachine(this, def.name, {
        def,
        functions: this.functions,
        bus: props.bus,
        logRetentionDays: config.functions.logRetentionDays,
        logGroupName: `/aws/vendedlogs/states/${config.prefix}-${def.name}`,
        // Execution history with data (ALL logging) is kept in prod (retainData), like the flow and store logs.
        logRemovalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      this.stateMachines.set(def.name, sm);
    }
    for (const h of handlers) {
      if (!h.stores.includes('saga') && !h.stores.includes('saga-describe')) continue;
      const sm = this.stateMachines.get('OrderSaga') ?? [...this.stateMachines.values()][0];
      if (!sm) throw new Error(`handler '${h.name}' uses 'saga' but the manifest declares no state machine`);
      if (h.stores.includes('saga')) this.fn(h.name).bindSaga(sm.stateMachine);
      if (h.stores.includes('saga-describe')) this.fn(h.name).bindSagaDescribe(sm.stateMachine);
    }

    // ---- HTTP API -------------------------------------------------------------------------------
    const authorizers = handlers.filter((h) => h.kind === 'authorizer');
    if (authorizers.length !== 1) throw new Error(`expected exactly one handler of kind 'authorizer', found ${authorizers.length}`);
    const httpFns = new Map<string, lambda.IFunction>(handlers.filter((h) => (h.routes ?? []).length > 0).map((h) => [h.name, this.fn(h.name)]));
    this.api = new ShopApi(this, 'Http', { config, manifest, functions: httpFns, authorizer: this.fn(authorizers[0]!.name) });

    // ---- custom resources (deploy-time) ---------------------------------------------------------
    for (const h of handlers.filter((x) => x.kind === 'custom-resource')) {
      const fn = this.fn(h.name);
      let properties: Record<string, unknown>;
      if (KAFKA_ADMIN_CUSTOM_RESOURCES.has(h.name)) {
        this.bindKafkaAdmin(fn, props.kafka, manifest);
        properties = {
          Brokers: props.kafka.bootstrapBrokers,
          Topics: manifest.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions,
            replicationFactor: config.kafka.replicationFactor,
            retentionMs: (t.retentionHours ?? 168) * 3_600_000,
            minInsyncReplicas: config.kafka.minInsyncReplicas,
          })),
        };
      } else if (h.stores.includes('postgres')) {
        properties = {
          MigrationsHash: hashTree([path.join(REPO_ROOT, h.entry), path.join(REPO_ROOT, 'functions/platform/db-roles.ts'), ...MIGRATION_DIRS.map((d) => path.join(REPO_ROOT, d)), ...migrationDirs()]),
          // A new or replaced service login secret runs it again (it sets the roles' passwords).
          LoginSecrets: Object.values(props.postgres.serviceSecrets).map((s) => s.secretArn),
        };
      } else {
        throw new Error(`custom-resource handler '${h.name}' has no wiring: add it to lib/stacks/app-stack.ts`);
      }
      const provider = new cr.Provider(this, `${h.name}Provider`, { onEventHandler: fn });
      const resource = new CustomResource(this, `${h.name}Resource`, { serviceToken: provider.serviceToken, properties, resourceType: `Custom::${h.name}` });
      acknowledge(
        provider,
        { id: 'AwsSolutions-L1', reason: REASONS.cdkProvider },
      );
      if (h.name === 'Migrations') {
        // Functions that use PostgreSQL need the schema: deploy them after the migrations ran.
        for (const other of handlers.filter((x) => x.stores.includes('postgres') && x.kind !== 'custom-resource')) this.fn(other.name).node.addDependency(resource);
      }
    }
  }

  private fn(name: string): ShopFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`manifest handler '${name}' has no function`);
    return fn;
  }

  private bindStore(fn: ShopFunction, h: HandlerDef & { readonly service: ServiceName }, store: StoreRef, props: AppStackProps): void {
    switch (store) {
      case 'postgres':
        // The migrations run as the admin (they own the tables and create the service roles) and set
        // the service logins' passwords; every other function logs in as its service's role.
        if (h.kind === 'custom-resource') {
          fn.bindPostgres(props.postgres, 'admin').bindPostgresLoginSecrets(props.postgres);
          return;
        }
        if (!isDbService(h.service)) throw new Error(`handler '${h.name}' uses postgres but service '${h.service}' has no PostgreSQL role: add it to functions/platform/db-roles.ts and grant it in a migration`);
        fn.bindPostgres(props.postgres, h.service);
        return;
      case 'redis':
        fn.bindRedis(props.cache);
        return;
      case 'docdb':
        fn.bindDocDb(props.docdb);
        return;
      case 'opensearch':
        fn.bindOpenSearch(props.search, Math.min(1, props.config.opensearch.dataNodes - 1));
        return;
      case 'idempotency':
        fn.bindIdempotency(props.idempotencyTable);
        return;
      case 'kafka-producer':
        fn.bindKafkaProducer(props.kafka, h.produces ?? []);
        return;
      case 'eventbus':
        fn.bindEventBus(props.bus);
        return;
      case 'email':
        fn.bindEmail(props.email);
        return;
      case 'chain':
        fn.bindChain(props.chain, props.config.web3);
        return;
      case 'saga':
      case 'saga-describe':
        return; // bound once the state machine exists
      default: {
        const never: never = store;
        throw new Error(`handler '${h.name}': unknown store '${String(never)}'`);
      }
    }
  }

  /** The topics custom resource: connect + create/describe/alter the manifest topics only. */
  private bindKafkaAdmin(fn: ShopFunction, kafka: KafkaRef, manifest: PlatformManifest): void {
    fn.bindKafkaClient(kafka);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'KafkaTopicsAdmin',
        actions: [
          'kafka-cluster:CreateTopic',
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:AlterTopic',
          'kafka-cluster:DescribeTopicDynamicConfiguration',
          'kafka-cluster:AlterTopicDynamicConfiguration',
        ],
        resources: manifest.topics.map((t) => kafka.topicArn(t.name)),
      }),
    );
  }
}

/** A manifest EventBridge pattern (JSON keys as on the wire) -> aws-cdk-lib EventPattern. */
export function toEventPattern(pattern: Readonly<Record<string, unknown>>, where: string): events.EventPattern {
  const keys: Record<string, keyof events.EventPattern> = {
    source: 'source',
    'detail-type': 'detailType',
    detail: 'detail',
    account: 'account',
    region: 'region',
    resources: 'resources',
    id: 'id',
    time: 'time',
    version: 'version',
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pattern)) {
    const key = keys[k];
    if (!key) throw new Error(`rule ${where}: unsupported pattern key '${k}' (expected one of ${Object.keys(keys).join(', ')})`);
    out[key] = v;
  }
  if (Object.keys(out).length === 0) throw new Error(`rule ${where}: empty event pattern`);
  return out as events.EventPattern;
}

/** Directories named `migrations` under functions/ (their content re-runs the migrations resource). */
function migrationDirs(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === 'node_modules') continue;
      const p = path.join(dir, e.name);
      if (e.name === 'migrations') out.push(p);
      else walk(p);
    }
  };
  walk(path.join(REPO_ROOT, 'functions'));
  return out.sort();
}

/** A content hash of files and directory trees (sorted, stable). */
export function hashTree(paths: readonly string[]): string {
  const h = createHash('sha256');
  const add = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) add(path.join(p, e));
    else h.update(path.relative(REPO_ROOT, p)).update(readFileSync(p));
  };
  for (const p of paths) add(p);
  return h.digest('hex').slice(0, 16);
}
