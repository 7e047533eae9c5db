import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { SERVICE_DB_ROLES, type DbService } from '../../functions/platform/db-roles';
import type { StageConfig } from '../config';
import { acknowledge, REASONS } from '../constructs/nag';

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
  readonly vpc: ec2.IVpc;
  readonly dataSubnets: ec2.SubnetSelection;
}

/** The PostgreSQL database as the functions see it: the proxy endpoint and the credentials secrets. */
export interface PostgresRef {
  readonly proxy: rds.IDatabaseProxy & ec2.IConnectable;
  /** The admin's (the tables' owner): only the Migrations custom resource connects with it. */
  readonly secret: secretsmanager.ISecret;
  /**
   * One secret per service login role (`{username: svc_<service>, password}`), registered with the
   * proxy; a service's functions get only their own (functions/platform/db-roles.ts, migration
   * 1765500000000_service-roles.js). The Migrations custom resource sets the roles' passwords from them.
   */
  readonly serviceSecrets: Readonly<Record<DbService, secretsmanager.ISecret>>;
  readonly databaseName: string;
}

export interface DocDbRef {
  readonly cluster: docdb.IDatabaseCluster;
  readonly port: number;
  readonly secret: secretsmanager.ISecret;
}

export interface CacheRef {
  readonly host: string;
  readonly port: string;
  readonly authSecret: secretsmanager.ISecret;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * The EVM chain as the web3 service sees it (store `chain`): the secret holding its JSON-RPC URL.
 * The chain's settings (id, token, payee...) are stage config (StageConfig.web3), not resources.
 */
export interface ChainRef {
  /** SecretString = the provider's https JSON-RPC URL, put by the operator; a generated placeholder until then. */
  readonly rpcUrlSecret: secretsmanager.ISecret;
}

/**
 * Stateful data stores, all in isolated subnets, encrypted at rest and in transit:
 * RDS PostgreSQL + RDS Proxy, DocumentDB (TLS), OpenSearch (VPC, HTTPS only, node-to-node),
 * ElastiCache Valkey/Redis replication group (TLS + AUTH token), DynamoDB idempotency table;
 * and the web3 JSON-RPC URL secret (an operator-set value: it outlives the stateless App stack).
 */
export class DataStack extends Stack {
  public readonly postgres: PostgresRef;
  public readonly docdb: DocDbRef;
  public readonly search: opensearch.IDomain & ec2.IConnectable;
  public readonly cache: CacheRef;
  public readonly idempotencyTable: dynamodb.ITable;
  public readonly chain: ChainRef;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config, vpc, dataSubnets } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const snapshotOrDestroy = config.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY;

    // ---- RDS PostgreSQL behind RDS Proxy -------------------------------------------------------
    const pgSg = new ec2.SecurityGroup(this, 'PostgresSg', { vpc, description: 'PostgreSQL: only the RDS Proxy', allowAllOutbound: false });
    const proxySg = new ec2.SecurityGroup(this, 'PostgresProxySg', { vpc, description: 'RDS Proxy: only functions that use PostgreSQL', allowAllOutbound: false });
    proxySg.connections.allowTo(pgSg, ec2.Port.tcp(5432), 'proxy to database');
    const pgEngine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.of(config.postgres.engineVersion, config.postgres.engineVersion.split('.')[0]!) });
    const db = new rds.DatabaseInstance(this, 'Postgres', {
      engine: pgEngine,
      instanceType: new ec2.InstanceType(config.postgres.instanceClass),
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [pgSg],
      credentials: rds.Credentials.fromGeneratedSecret('shop_admin'),
      databaseName: config.postgres.databaseName,
      allocatedStorage: config.postgres.allocatedStorageGb,
      maxAllocatedStorage: config.postgres.maxAllocatedStorageGb,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      multiAz: config.postgres.multiAz,
      publiclyAccessible: false,
      iamAuthentication: true,
      backupRetention: Duration.days(config.postgres.backupRetentionDays),
      deletionProtection: config.retainData,
      removalPolicy: snapshotOrDestroy,
      instanceIdentifier: `${config.prefix}-postgres`,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      parameters: { 'rds.force_ssl': '1' },
      autoMinorVersionUpgrade: true,
    });
    // Log groups created here (with retention) before the database exports into them.
    for (const kind of ['postgresql', 'upgrade']) {
      const lg = new logs.LogGroup(this, `PostgresLogs${kind}`, {
        logGroupName: `/aws/rds/instance/${config.prefix}-postgres/${kind}`,
        retention: config.functions.logRetentionDays as logs.RetentionDays,
        removalPolicy,
      });
      db.node.addDependency(lg);
    }
    // One generated secret per service login role; the proxy authenticates each (it needs every
    // username its clients log in as), and each function reads only its service's.
    const serviceSecrets = {} as Record<DbService, secretsmanager.ISecret>;
    for (const [service, role] of Object.entries(SERVICE_DB_ROLES) as Array<[DbService, (typeof SERVICE_DB_ROLES)[DbService]]>) {
      const id = `PostgresLogin${service[0]!.toUpperCase()}${service.slice(1)}`;
      const secret = new rds.DatabaseSecret(this, id, { username: role.login });
      secret.applyRemovalPolicy(removalPolicy);
      acknowledge(secret, {
        id: 'AwsSolutions-SMG4',
        reason: `Rotation of the ${role.login} login is left to the operator like the admin's (docs/cdk.md): the Migrations custom resource sets the role's password from this secret on each run, and the RDS Proxy re-reads it.`,
      });
      serviceSecrets[service] = secret;
    }
    const proxy = db.addProxy('Proxy', {
      secrets: [db.secret!, ...Object.values(serviceSecrets)],
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [proxySg],
      requireTLS: true,
      iamAuth: false,
      debugLogging: false,
      // Stated, not left to the default: the functions' pools close an idle connection after
      // PG_IDLE_TIMEOUT_MS (5 minutes), well before the proxy would, so a warm function does not
      // find its kept connection already closed by the proxy.
      idleClientTimeout: Duration.minutes(30),
      // How long the proxy waits for a free database connection before answering the client with an
      // error. CDK's (and the service's) default is 120 s: during a DB failover a saga task (10 s
      // Lambda timeout) then hung until Lambda killed it (Sandbox.Timedout) instead of failing with a
      // connection error the state machine retries. 5 s stays below every PostgreSQL function's
      // timeout (test/cdk/platform.test.ts checks it against the manifest).
      borrowTimeout: Duration.seconds(5),
    });
    this.postgres = { proxy, secret: db.secret!, serviceSecrets, databaseName: config.postgres.databaseName };
    acknowledge(
      db,
      { id: 'AwsSolutions-RDS11', reason: REASONS.defaultPort },
      { id: 'AwsSolutions-SMG4', reason: 'Rotation is left to the operator (docs/cdk.md): the RDS Proxy re-reads the secret, so a rotation schedule can be added without code changes.' },
      ...(config.postgres.multiAz ? [] : [{ id: 'AwsSolutions-RDS3', reason: 'dev runs a single-AZ instance to save cost; prod is Multi-AZ.' }]),
      ...(config.retainData ? [] : [{ id: 'AwsSolutions-RDS10', reason: 'dev is disposable: deletion protection off so `cdk destroy` works; prod has it on.' }]),
    );

    // ---- DocumentDB (TLS on by the default cluster parameter group) ---------------------------
    const docSg = new ec2.SecurityGroup(this, 'DocDbSg', { vpc, description: 'DocumentDB: only functions that use it', allowAllOutbound: false });
    const docParams = new docdb.ClusterParameterGroup(this, 'DocDbParams', {
      family: 'docdb5.0',
      description: 'TLS required, audit logs on',
      parameters: { tls: 'enabled', audit_logs: 'enabled', profiler: 'enabled' },
    });
    const doc = new docdb.DatabaseCluster(this, 'DocDb', {
      masterUser: { username: 'shop_admin' },
      port: 27017,
      engineVersion: '5.0.0',
      instanceType: new ec2.InstanceType(config.docdb.instanceClass),
      instances: config.docdb.instances,
      vpc,
      vpcSubnets: dataSubnets,
      securityGroup: docSg,
      parameterGroup: docParams,
      storageEncrypted: true,
      backup: { retention: Duration.days(config.docdb.backupRetentionDays) },
      deletionProtection: config.retainData,
      removalPolicy: snapshotOrDestroy,
      dbClusterName: `${config.prefix}-docdb`,
      exportAuditLogsToCloudWatch: true,
      exportProfilerLogsToCloudWatch: true,
    });
    for (const kind of ['audit', 'profiler']) {
      const lg = new logs.LogGroup(this, `DocDbLogs${kind}`, {
        logGroupName: `/aws/docdb/${config.prefix}-docdb/${kind}`,
        retention: config.functions.logRetentionDays as logs.RetentionDays,
        removalPolicy,
      });
      doc.node.addDependency(lg);
    }
    this.docdb = { cluster: doc, secret: doc.secret!, port: 27017 };
    acknowledge(
      doc,
      { id: 'AwsSolutions-DOC2', reason: REASONS.defaultPort },
      { id: 'AwsSolutions-SMG4', reason: 'Rotation is left to the operator (docs/cdk.md); functions read the secret by ARN at cold start.' },
      { id: 'AwsSolutions-DOC3', reason: 'The master secret is in Secrets Manager (generated by CDK); rotation is an operator task (docs/cdk.md). The rule cannot evaluate the secret reference.' },
      ...['authenticate', 'createIndex', 'dropCollection'].map((e) => ({
        id: `AwsSolutions-DOC5[LogExport::${e}]`,
        reason: `DocumentDB has no '${e}' log export: ${e} events are audit events, exported with the 'audit' log type (audit_logs=enabled) plus 'profiler'.`,
      })),
    );

    // ---- OpenSearch in the VPC ---------------------------------------------------------------
    const osSg = new ec2.SecurityGroup(this, 'SearchSg', { vpc, description: 'OpenSearch: only functions that use it', allowAllOutbound: false });
    const os = config.opensearch;
    const zoneAware = os.dataNodes > 1;
    const domainSubnets = vpc.selectSubnets(dataSubnets).subnets.slice(0, zoneAware ? Math.min(os.dataNodes, config.network.maxAzs) : 1);
    const domain = new opensearch.Domain(this, 'Search', {
      version: opensearch.EngineVersion.openSearch(os.engineVersion.replace('OpenSearch_', '')),
      vpc,
      vpcSubnets: [{ subnets: domainSubnets }],
      securityGroups: [osSg],
      capacity: {
        dataNodes: os.dataNodes,
        dataNodeInstanceType: os.dataNodeType,
        ...(os.masterNodes > 0 ? { masterNodes: os.masterNodes, masterNodeInstanceType: os.masterNodeType } : {}),
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: os.volumeGb, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      zoneAwareness: zoneAware ? { enabled: true, availabilityZoneCount: domainSubnets.length } : { enabled: false },
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      nodeToNodeEncryption: true,
      encryptionAtRest: { enabled: true },
      logging: { slowSearchLogEnabled: true, slowIndexLogEnabled: true, appLogEnabled: true },
      removalPolicy,
    });
    // A VPC domain needs OpenSearch's service-linked role, which a fresh account does not have yet.
    // Create it idempotently (an existing role answers InvalidInput, which is ignored) and keep it.
    const slrName = 'AWSServiceRoleForAmazonOpenSearchService';
    const slr = new cr.AwsCustomResource(this, 'OpenSearchServiceLinkedRole', {
      onCreate: {
        service: 'IAM',
        action: 'createServiceLinkedRole',
        parameters: { AWSServiceName: 'opensearchservice.amazonaws.com', Description: 'OpenSearch VPC domains' },
        physicalResourceId: cr.PhysicalResourceId.of(slrName),
        ignoreErrorCodesMatching: 'InvalidInput',
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['iam:CreateServiceLinkedRole'],
          resources: [`arn:${this.partition}:iam::${this.account}:role/aws-service-role/opensearchservice.amazonaws.com/${slrName}`],
          conditions: { StringLike: { 'iam:AWSServiceName': 'opensearchservice.amazonaws.com' } },
        }),
      ]),
      installLatestAwsSdk: false,
    });
    domain.node.addDependency(slr);

    // Resource policy: only IAM principals of this account (SigV4); functions get identity grants.
    domain.addAccessPolicies(
      new iam.PolicyStatement({
        actions: ['es:ESHttp*'],
        principals: [new iam.AccountRootPrincipal()],
        resources: [domain.domainArn, `${domain.domainArn}/*`],
      }),
    );
    this.search = domain;
    acknowledge(
      domain,
      ...(os.masterNodes > 0 ? [] : [{ id: 'AwsSolutions-OS4', reason: 'dev runs one data node without dedicated masters to save cost; prod has 3 dedicated masters.' }]),
      ...(zoneAware ? [] : [{ id: 'AwsSolutions-OS7', reason: 'dev runs a single node (no zone awareness) to save cost; prod is zone-aware.' }]),
      { id: 'AwsSolutions-OS3', reason: 'The domain is inside the VPC (no public endpoint); access is by SigV4 with IAM identity grants, not IP allow-lists.' },
      { id: 'AwsSolutions-OS5', reason: 'Anonymous access is impossible: the domain is VPC-only and the resource policy admits only IAM principals of this account (SigV4).' },
    );

    // ---- ElastiCache (Valkey/Redis) replication group: TLS + AUTH --------------------------------
    const cacheSg = new ec2.SecurityGroup(this, 'CacheSg', { vpc, description: 'Cache: only functions that use it', allowAllOutbound: false });
    const authSecret = new secretsmanager.Secret(this, 'CacheAuthToken', {
      description: `${config.prefix} cache AUTH token`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    acknowledge(authSecret, { id: 'AwsSolutions-SMG4', reason: 'ElastiCache AUTH token rotation needs a ModifyReplicationGroup ROTATE step; documented as an operator task in docs/cdk.md.' });
    const cacheSubnets = new elasticache.CfnSubnetGroup(this, 'CacheSubnets', {
      description: `${config.prefix} cache subnets (isolated)`,
      subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
    });
    const multiNode = config.cache.nodes > 1;
    const cache = new elasticache.CfnReplicationGroup(this, 'Cache', {
      replicationGroupDescription: `${config.prefix} cache, sessions, rate limits`,
      engine: config.cache.engine,
      engineVersion: config.cache.engineVersion,
      cacheNodeType: config.cache.nodeType,
      numCacheClusters: config.cache.nodes,
      automaticFailoverEnabled: multiNode,
      multiAzEnabled: multiNode,
      cacheSubnetGroupName: cacheSubnets.ref,
      securityGroupIds: [cacheSg.securityGroupId],
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: authSecret.secretValue.unsafeUnwrap(),
      port: 6379,
      snapshotRetentionLimit: config.cache.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
    cache.applyRemovalPolicy(removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    this.cache = { host: cache.attrPrimaryEndPointAddress, port: cache.attrPrimaryEndPointPort, authSecret, securityGroup: cacheSg };
    acknowledge(
      cache,
      { id: 'AwsSolutions-AEC5', reason: REASONS.defaultPort },
      ...(multiNode ? [] : [{ id: 'AwsSolutions-AEC4', reason: 'dev runs one cache node to save cost; prod has a replica with Multi-AZ failover.' }]),
    );

    // ---- DynamoDB idempotency table (Powertools layout: id + expiration TTL) ---------------------
    this.idempotencyTable = new dynamodb.Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiration',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });

    // ---- web3: the JSON-RPC provider URL --------------------------------------------------------
    // Provider URLs embed an API key, so the URL is a secret the operator puts after the first
    // deploy (docs/cdk.md); no URL is ever in a template. Until then the value is a generated
    // placeholder: letters and digits only (no ':' or '/'), so it can never look like an http(s) URL
    // and the web3 function answers 503 naming this secret. Do not change `generateSecretString`
    // later: CloudFormation would generate a new value over the operator's URL. Kept in this
    // stateful stack so that replacing the App stack does not lose the operator's value.
    // Encrypted with the AWS-managed key, like every other secret of the platform.
    const rpcUrlSecret = new secretsmanager.Secret(this, 'Web3RpcUrl', {
      description: `${config.prefix} web3 JSON-RPC provider URL (it embeds the provider API key): put by the operator (docs/cdk.md), read by Web3Api`,
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    acknowledge(rpcUrlSecret, { id: 'AwsSolutions-SMG4', reason: REASONS.providerRotatedSecret });
    new CfnOutput(this, 'Web3RpcUrlSecretArn', {
      value: rpcUrlSecret.secretArn,
      description: 'Put the web3 JSON-RPC URL here: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string https://...',
    });
    this.chain = { rpcUrlSecret };
  }
}
