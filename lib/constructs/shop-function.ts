import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DbService } from '../../functions/platform/db-roles';
import type { Web3Config } from '../config';
import type { HandlerDef, ServiceName } from '../manifest';
import type { CacheRef, ChainRef, DocDbRef, PostgresRef } from '../stacks/data-stack';
import type { EmailRef, KafkaRef } from '../stacks/messaging-stack';

/** Repository root (entries in the manifest are relative to it). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The one Lambda runtime of the platform: pinned, Node.js 22+. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const METRICS_NAMESPACE = 'Shop';

/**
 * Modules never bundled: the AWS SDK v3 ships with the runtime; the rest are optional native or
 * unused drivers that are only `require`d when a feature we do not use is configured.
 */
const EXTERNAL_MODULES = [
  '@aws-sdk/*',
  'pg-native',
  'kerberos',
  '@mongodb-js/zstd',
  'snappy',
  'socks',
  'mongodb-client-encryption',
  'gcp-metadata',
];

export interface ShopFunctionProps {
  /** The manifest entry this function runs. */
  readonly handler: HandlerDef & { readonly service: ServiceName };
  readonly stage: string;
  readonly logRetentionDays: number;
  readonly logLevel: string;
  /** Place the function in the VPC (when it reaches a store). @default not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default the VPC's private-with-egress subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * In the VPC, allow all outbound traffic (aws-cdk-lib's default). With false the security group
   * starts closed: each store binding opens its port to that store's security group only, and a
   * binding that calls an outside service opens what it needs (`bindChain`: HTTPS).
   * @default true
   */
  readonly allowAllOutbound?: boolean;
  /** Apply the manifest's reservedConcurrency. @default false */
  readonly applyReservedConcurrency?: boolean;
  /** Repository folders copied next to the bundle (e.g. `migrations` -> /var/task/migrations). @default none */
  readonly copyDirs?: readonly string[];
  /** Remove log groups with the stack. @default true */
  readonly destroyLogs?: boolean;
}

/**
 * The house function: NodejsFunction bundled by the local esbuild (never Docker), pinned Node.js
 * runtime, arm64, X-Ray active, JSON logs with retention, source maps, Powertools environment.
 * `bind*` methods set the environment a store's adapter reads (functions/shared/adapters/*) and the
 * matching least-privilege grant in one call.
 */
export class ShopFunction extends nodejs.NodejsFunction {
  public readonly def: ShopFunctionProps['handler'];

  constructor(scope: Construct, id: string, props: ShopFunctionProps) {
    const h = props.handler;
    if (props.allowAllOutbound === false && !props.vpc) throw new Error(`handler '${h.name}': allowAllOutbound=false needs a VPC (outside one, a function's egress cannot be restricted)`);
    if (!h.entry.endsWith('.ts')) throw new Error(`handler '${h.name}': entry must be a .ts file, got '${h.entry}'`);
    for (const d of props.copyDirs ?? []) if (!/^[A-Za-z0-9_./-]+$/.test(d) || d.includes('..')) throw new Error(`handler '${h.name}': copyDirs entry '${d}' must be a plain repository folder`);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.destroyLogs === false ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: path.join(REPO_ROOT, h.entry),
      handler: h.export ?? 'handler',
      description: `${h.service}: ${h.description}`.slice(0, 256),
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      memorySize: h.memoryMb ?? 512,
      timeout: Duration.seconds(h.timeoutSeconds ?? 10),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      ...(props.applyReservedConcurrency && h.reservedConcurrency ? { reservedConcurrentExecutions: h.reservedConcurrency } : {}),
      ...(props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, allowAllOutbound: props.allowAllOutbound ?? true } : {}),
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        minify: true,
        // Error class names are the contract with the ASL's Retry/Catch (Lambda reports errorType =
        // error.name) and with the HTTP error mapper's logs: minification must not rename them.
        keepNames: true,
        sourceMap: true,
        sourceMapMode: nodejs.SourceMapMode.INLINE,
        sourcesContent: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        externalModules: EXTERNAL_MODULES,
        logLevel: nodejs.LogLevel.ERROR,
        ...(props.copyDirs && props.copyDirs.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => (props.copyDirs ?? []).map((d) => `cp -R "${path.join(inputDir, d)}" "${path.join(outputDir, d)}"`),
              },
            }
          : {}),
      },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        STAGE: props.stage,
        POWERTOOLS_SERVICE_NAME: h.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        HANDLER_NAME: h.name,
      },
    });
    this.def = h;
    this.restrictedEgress = props.vpc !== undefined && props.allowAllOutbound === false;
  }

  /**
   * postgres: DB_HOST = the RDS Proxy endpoint, DB_NAME, DB_SECRET_ARN + read grant + proxy connectivity.
   * `as` is whose credentials: a service's login role (its secret only: PostgresRef.serviceSecrets),
   * or 'admin' (the tables' owner) for the Migrations custom resource alone.
   */
  bindPostgres(pg: PostgresRef, as: DbService | 'admin'): this {
    const secret = as === 'admin' ? pg.secret : pg.serviceSecrets[as];
    if (!secret) throw new Error(`handler '${this.def.name}': no PostgreSQL login secret for '${as}'`);
    this.addEnvironment('DB_HOST', pg.proxy.endpoint);
    this.addEnvironment('DB_PORT', '5432');
    this.addEnvironment('DB_NAME', pg.databaseName);
    this.addEnvironment('DB_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    this.connectTo(pg.proxy.connections.securityGroups, 5432, 'RDS Proxy');
    return this;
  }

  /**
   * The Migrations custom resource: DB_SERVICE_SECRET_ARNS (every service login's secret) + read on
   * each, so it can set the login roles' passwords after the migrations (functions/platform/migrations.ts).
   */
  bindPostgresLoginSecrets(pg: PostgresRef): this {
    const secrets = Object.values(pg.serviceSecrets);
    this.addEnvironment('DB_SERVICE_SECRET_ARNS', secrets.map((s) => s.secretArn).join(','));
    for (const s of secrets) s.grantRead(this);
    return this;
  }

  /** redis: REDIS_HOST / REDIS_PORT / REDIS_AUTH_SECRET_ARN (TLS + AUTH) + read grant + connectivity. */
  bindRedis(cache: CacheRef): this {
    this.addEnvironment('REDIS_HOST', cache.host);
    this.addEnvironment('REDIS_PORT', cache.port);
    this.addEnvironment('REDIS_AUTH_SECRET_ARN', cache.authSecret.secretArn);
    cache.authSecret.grantRead(this);
    this.connectTo([cache.securityGroup], Number(6379), 'cache');
    return this;
  }

  /** docdb: MONGO_HOST / MONGO_PORT / MONGO_SECRET_ARN / MONGO_DB + read grant + connectivity. */
  bindDocDb(doc: DocDbRef): this {
    this.addEnvironment('MONGO_HOST', doc.cluster.clusterEndpoint.hostname);
    this.addEnvironment('MONGO_PORT', String(doc.port));
    this.addEnvironment('MONGO_SECRET_ARN', doc.secret.secretArn);
    this.addEnvironment('MONGO_DB', 'shop');
    doc.secret.grantRead(this);
    this.connectTo(doc.cluster.connections.securityGroups, doc.port, 'DocumentDB');
    return this;
  }

  /**
   * opensearch: OPENSEARCH_ENDPOINT (https) + read/write grant (SigV4) + HTTPS connectivity, and
   * CATALOG_INDEX_REPLICAS (read by functions/catalog/config.ts) sized to the domain's data nodes.
   */
  bindOpenSearch(domain: opensearch.IDomain & ec2.IConnectable, indexReplicas = 0): this {
    this.addEnvironment('OPENSEARCH_ENDPOINT', `https://${domain.domainEndpoint}`);
    this.addEnvironment('CATALOG_INDEX_REPLICAS', String(indexReplicas));
    domain.grantReadWrite(this);
    this.connectTo(domain.connections.securityGroups, 443, 'OpenSearch (HTTPS)');
    return this;
  }

  /** idempotency: IDEMPOTENCY_TABLE + read/write grant. */
  bindIdempotency(table: dynamodb.ITable): this {
    this.addEnvironment('IDEMPOTENCY_TABLE', table.tableName);
    table.grantReadWriteData(this);
    return this;
  }

  /** eventbus: EVENT_BUS_NAME + events:PutEvents on that bus only. */
  bindEventBus(bus: events.IEventBus): this {
    this.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    bus.grantPutEventsTo(this);
    return this;
  }

  /**
   * email: NOTIFICATION_SENDER=ses, NOTIFICATION_FROM, SES_CONFIGURATION_SET + ses:SendEmail on the
   * stage's identity and configuration set only, for its From address only. SES's API has no VPC
   * endpoint: a function in the VPC reaches it through the NAT gateway (its security group's egress).
   */
  bindEmail(email: EmailRef): this {
    this.addEnvironment('NOTIFICATION_SENDER', 'ses');
    this.addEnvironment('NOTIFICATION_FROM', email.fromAddress);
    this.addEnvironment('SES_CONFIGURATION_SET', email.configurationSet.configurationSetName);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [email.identityArn, email.configurationSetArn],
        conditions: { StringEquals: { 'ses:FromAddress': email.fromAddress } },
      }),
    );
    return this;
  }

  /** saga: STATE_MACHINE_ARN + states:StartExecution on that state machine only. */
  bindSaga(stateMachine: sfn.IStateMachine): this {
    this.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this);
    return this;
  }

  /** saga-describe: STATE_MACHINE_ARN + states:DescribeExecution on that state machine's executions only. */
  bindSagaDescribe(stateMachine: sfn.IStateMachine): this {
    this.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    stateMachine.grantExecution(this, 'states:DescribeExecution');
    return this;
  }

  /** JWT signing/verification key: JWT_SECRET_ARN + read grant. */
  bindJwtSecret(secret: secretsmanager.ISecret): this {
    this.addEnvironment('JWT_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  /** The order request-hash key: REQUEST_HASH_KEY_SECRET_ARN + read grant. */
  bindRequestHashKey(secret: secretsmanager.ISecret): this {
    this.addEnvironment('REQUEST_HASH_KEY_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  /**
   * chain: the EVM chain the web3 service verifies against (functions/web3/config.ts reads these).
   * WEB3_CHAIN_ID, WEB3_TOKEN_ADDRESS, WEB3_TOKEN_CURRENCY, WEB3_MIN_CONFIRMATIONS; WEB3_PAYEE_ADDRESS
   * and SIWE_DOMAIN only when configured (absent, their routes answer 501); WEB3_RPC_URL_SECRET_ARN +
   * read grant (the URL embeds the provider's API key, so it is never in the environment).
   * Network: the provider is on the internet. Outside the VPC a function reaches it directly; in the
   * VPC through the NAT gateway, and a function with restricted egress gets TCP 443 to 0.0.0.0/0:
   * an outside provider's addresses are not ours to pin (CDNs, anycast, changed at will), and the
   * same rule reaches the VPC's interface endpoints (Secrets Manager). HTTPS only: an http:// URL or
   * another port is not reachable from AWS.
   */
  bindChain(chain: ChainRef, web3: Web3Config): this {
    this.addEnvironment('WEB3_CHAIN_ID', String(web3.chainId));
    if (web3.tokenAddress !== undefined) this.addEnvironment('WEB3_TOKEN_ADDRESS', web3.tokenAddress);
    this.addEnvironment('WEB3_TOKEN_CURRENCY', web3.tokenCurrency);
    if (web3.payeeAddress !== undefined) this.addEnvironment('WEB3_PAYEE_ADDRESS', web3.payeeAddress);
    this.addEnvironment('WEB3_MIN_CONFIRMATIONS', String(web3.minConfirmations));
    if (web3.siweDomain !== undefined) this.addEnvironment('SIWE_DOMAIN', web3.siweDomain);
    this.addEnvironment('WEB3_RPC_URL_SECRET_ARN', chain.rpcUrlSecret.secretArn);
    chain.rpcUrlSecret.grantRead(this);
    if (this.restrictedEgress) {
      for (const sg of this.connections.securityGroups) sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), `${this.def.name} to the JSON-RPC provider (NAT) and AWS endpoints, HTTPS`);
    }
    return this;
  }

  /** The MSK cluster: KAFKA_BROKERS (SASL/IAM, TLS), KAFKA_IAM_AUTH=true, connectivity and kafka-cluster:Connect. */
  bindKafkaClient(kafka: KafkaRef): this {
    this.addEnvironment('KAFKA_BROKERS', kafka.bootstrapBrokers);
    this.addEnvironment('KAFKA_IAM_AUTH', 'true');
    this.connectTo([kafka.securityGroup], 9098, 'MSK (IAM/TLS)');
    this.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'KafkaConnect',
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
        resources: [kafka.clusterArn],
      }),
    );
    return this;
  }

  /** kafka-producer: the client binding plus write access to the declared topics only. */
  bindKafkaProducer(kafka: KafkaRef, topics: readonly string[]): this {
    if (topics.length === 0) throw new Error(`handler '${this.def.name}' uses kafka-producer but declares no 'produces' topics`);
    this.bindKafkaClient(kafka);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'KafkaProduce',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData', 'kafka-cluster:WriteDataIdempotently'],
        resources: topics.map((t) => kafka.topicArn(t)),
      }),
    );
    // Idempotent producers need a transactional-id-free InitProducerId: WriteDataIdempotently on the cluster.
    this.addToRolePolicy(new iam.PolicyStatement({ sid: 'KafkaIdempotentProducer', actions: ['kafka-cluster:WriteDataIdempotently'], resources: [kafka.clusterArn] }));
    return this;
  }

  /**
   * Allows this function to reach store security groups on a TCP port. The ingress rule is created
   * in this function's stack (not the store's), so stateful stacks never depend on stateless ones;
   * so is the matching egress rule, when this function's egress is restricted.
   */
  private connectTo(storeGroups: readonly ec2.ISecurityGroup[], port: number, what: string): void {
    if (this.connections.securityGroups.length === 0) throw new Error(`handler '${this.def.name}' uses ${what} but is not in the VPC`);
    if (storeGroups.length === 0) throw new Error(`handler '${this.def.name}': ${what} has no security group`);
    for (const fnSg of this.connections.securityGroups) {
      for (const storeSg of storeGroups) {
        this.ingressCount += 1;
        new ec2.CfnSecurityGroupIngress(this, `Ingress${this.ingressCount}`, {
          groupId: storeSg.securityGroupId,
          sourceSecurityGroupId: fnSg.securityGroupId,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          description: `${this.def.name} to ${what}`,
        });
        if (this.restrictedEgress) {
          new ec2.CfnSecurityGroupEgress(this, `Egress${this.ingressCount}`, {
            groupId: fnSg.securityGroupId,
            destinationSecurityGroupId: storeSg.securityGroupId,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            description: `${this.def.name} to ${what}`,
          });
        }
      }
    }
  }
  private ingressCount = 0;
  /** In the VPC with allowAllOutbound=false: every binding opens the egress it needs. */
  private readonly restrictedEgress: boolean;
}
