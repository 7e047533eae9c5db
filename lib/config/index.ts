/**
 * One typed config per stage, in code. `process.env` and CDK context are read only in bin/app.ts,
 * which picks a stage and applies the switches it was given (`-c grafana=true` ...).
 * Stages differ in sizes, counts, retention and removal policies; the shape does not.
 */
export type Stage = 'dev' | 'prod';
export const STAGES: readonly Stage[] = ['dev', 'prod'];

export interface StageConfig {
  readonly stage: Stage;
  /** Prefix of physical names that a person or an outside system must know (MSK cluster name, dashboards). */
  readonly prefix: string;
  /** Pin the stacks to an account/region (needs `availability-zones:` entries in cdk.context.json for offline synth). @default env-agnostic */
  readonly env?: { readonly account: string; readonly region: string };

  readonly network: {
    /** Use an existing VPC instead of creating one (needs private-with-egress and isolated subnets). @default create one */
    readonly existingVpcId?: string;
    readonly maxAzs: number;
    readonly natGateways: number;
    readonly cidr: string;
    /** Flow-log retention in days. */
    readonly flowLogRetentionDays: number;
  };

  readonly kafka: {
    readonly kafkaVersion: string;
    readonly brokerInstanceType: string;
    /** A multiple of the number of AZs. */
    readonly brokerCount: number;
    readonly brokerVolumeGb: number;
    readonly replicationFactor: number;
    readonly minInsyncReplicas: number;
    /** Topic retention, ms (manifest topics override with retentionHours). */
    readonly defaultRetentionMs: number;
  };

  readonly postgres: {
    readonly engineVersion: string;
    readonly instanceClass: string;
    readonly allocatedStorageGb: number;
    readonly maxAllocatedStorageGb: number;
    readonly multiAz: boolean;
    readonly backupRetentionDays: number;
    readonly databaseName: string;
  };

  readonly docdb: {
    readonly instanceClass: string;
    readonly instances: number;
    readonly backupRetentionDays: number;
  };

  readonly opensearch: {
    readonly engineVersion: string;
    readonly dataNodeType: string;
    readonly dataNodes: number;
    readonly volumeGb: number;
    /** Dedicated master nodes (0 = none). */
    readonly masterNodes: number;
    readonly masterNodeType: string;
  };

  readonly cache: {
    readonly engine: 'valkey' | 'redis';
    readonly engineVersion: string;
    readonly nodeType: string;
    /** Nodes in the replication group (1 primary + replicas). */
    readonly nodes: number;
    readonly snapshotRetentionDays: number;
  };

  readonly functions: {
    readonly logRetentionDays: number;
    readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
    /** Apply the manifest's reservedConcurrency (a fresh account has a 10-concurrency quota: off in dev). */
    readonly applyReservedConcurrency: boolean;
  };

  readonly api: {
    readonly throttleRateLimit: number;
    readonly throttleBurstLimit: number;
    readonly quotaPerDay: number;
    readonly corsAllowOrigins: readonly string[];
    readonly accessLogRetentionDays: number;
    /** Custom domain (needs an ACM certificate in the region and a DNS zone you control). @default none */
    readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  };

  readonly events: {
    readonly archiveRetentionDays: number;
  };

  readonly observability: {
    /** Alarm e-mail subscription. @default none (subscribe to the SNS topic yourself) */
    readonly alarmEmail?: string;
    readonly p99LatencyMsThreshold: number;
    readonly offsetLagThreshold: number;
    /** Amazon Managed Grafana workspace: needs IAM Identity Center (or SAML) in the account. @default false */
    readonly grafana: boolean;
    readonly grafanaAuthentication: 'AWS_SSO' | 'SAML';
  };

  /**
   * Notification email through Amazon SES: the From address and the domain identity it belongs to
   * (created by the stack; DKIM records to publish in DNS, and SES production access, are the
   * operator's: docs/notification.md). `-c mailFrom=no-reply@shop.example.com` sets both.
   */
  readonly email: { readonly fromAddress: string; readonly identityDomain: string };

  /** RETAIN + deletion protection for data stores (prod), DESTROY (dev). */
  readonly retainData: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const stageConfigs: Record<Stage, StageConfig> = {
  dev: {
    stage: 'dev',
    prefix: 'shop-dev',
    network: { maxAzs: 2, natGateways: 1, cidr: '10.20.0.0/16', flowLogRetentionDays: 14 },
    kafka: {
      kafkaVersion: '3.6.0',
      brokerInstanceType: 'kafka.t3.small',
      brokerCount: 2,
      brokerVolumeGb: 20,
      replicationFactor: 2,
      minInsyncReplicas: 1,
      defaultRetentionMs: 7 * DAY_MS,
    },
    postgres: {
      engineVersion: '17.9',
      instanceClass: 't4g.micro',
      allocatedStorageGb: 20,
      maxAllocatedStorageGb: 50,
      multiAz: false,
      backupRetentionDays: 1,
      databaseName: 'shop',
    },
    docdb: { instanceClass: 't4g.medium', instances: 1, backupRetentionDays: 7 },
    opensearch: { engineVersion: 'OpenSearch_2.17', dataNodeType: 't3.small.search', dataNodes: 1, volumeGb: 10, masterNodes: 0, masterNodeType: 'm6g.large.search' },
    cache: { engine: 'valkey', engineVersion: '8.0', nodeType: 'cache.t4g.micro', nodes: 1, snapshotRetentionDays: 1 },
    functions: { logRetentionDays: 14, logLevel: 'DEBUG', applyReservedConcurrency: false },
    api: { throttleRateLimit: 50, throttleBurstLimit: 100, quotaPerDay: 100_000, corsAllowOrigins: ['*'], accessLogRetentionDays: 14 },
    events: { archiveRetentionDays: 7 },
    observability: { p99LatencyMsThreshold: 2000, offsetLagThreshold: 1000, grafana: false, grafanaAuthentication: 'AWS_SSO' },
    email: { fromAddress: 'no-reply@dev.shop.example.com', identityDomain: 'dev.shop.example.com' },
    retainData: false,
  },
  prod: {
    stage: 'prod',
    prefix: 'shop-prod',
    network: { maxAzs: 2, natGateways: 2, cidr: '10.30.0.0/16', flowLogRetentionDays: 90 },
    kafka: {
      kafkaVersion: '3.6.0',
      brokerInstanceType: 'kafka.m7g.large',
      brokerCount: 4,
      brokerVolumeGb: 500,
      replicationFactor: 3,
      minInsyncReplicas: 2,
      defaultRetentionMs: 7 * DAY_MS,
    },
    postgres: {
      engineVersion: '17.9',
      instanceClass: 'r7g.large',
      allocatedStorageGb: 100,
      maxAllocatedStorageGb: 1000,
      multiAz: true,
      backupRetentionDays: 14,
      databaseName: 'shop',
    },
    docdb: { instanceClass: 'r6g.large', instances: 2, backupRetentionDays: 14 },
    opensearch: { engineVersion: 'OpenSearch_2.17', dataNodeType: 'r6g.large.search', dataNodes: 2, volumeGb: 100, masterNodes: 3, masterNodeType: 'm6g.large.search' },
    cache: { engine: 'valkey', engineVersion: '8.0', nodeType: 'cache.r7g.large', nodes: 2, snapshotRetentionDays: 7 },
    functions: { logRetentionDays: 90, logLevel: 'INFO', applyReservedConcurrency: true },
    api: { throttleRateLimit: 500, throttleBurstLimit: 1000, quotaPerDay: 5_000_000, corsAllowOrigins: ['*'], accessLogRetentionDays: 90 },
    events: { archiveRetentionDays: 90 },
    observability: { p99LatencyMsThreshold: 1000, offsetLagThreshold: 1000, grafana: false, grafanaAuthentication: 'AWS_SSO' },
    email: { fromAddress: 'no-reply@shop.example.com', identityDomain: 'shop.example.com' },
    retainData: true,
  },
};

/** Switches bin/app.ts may set from CDK context; everything else is per-stage code. */
export interface StageOverrides {
  readonly grafana?: boolean;
  readonly existingVpcId?: string;
  readonly alarmEmail?: string;
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  readonly corsAllowOrigins?: readonly string[];
  readonly env?: { readonly account: string; readonly region: string };
  /** The notification From address; its domain becomes the SES identity. */
  readonly mailFrom?: string;
}

export function isStage(s: unknown): s is Stage {
  return typeof s === 'string' && (STAGES as readonly string[]).includes(s);
}

/** The config of a stage with the given switches applied. Throws naming the bad value. */
export function stageConfig(stage: unknown, overrides: StageOverrides = {}): StageConfig {
  if (!isStage(stage)) throw new Error(`unknown stage '${String(stage)}': expected one of ${STAGES.join(', ')} (cdk synth -c stage=prod)`);
  const base = stageConfigs[stage];
  const cfg: StageConfig = {
    ...base,
    ...(overrides.env ? { env: overrides.env } : {}),
    network: { ...base.network, ...(overrides.existingVpcId ? { existingVpcId: overrides.existingVpcId } : {}) },
    api: {
      ...base.api,
      ...(overrides.customDomain ? { customDomain: overrides.customDomain } : {}),
      ...(overrides.corsAllowOrigins ? { corsAllowOrigins: overrides.corsAllowOrigins } : {}),
    },
    observability: {
      ...base.observability,
      ...(overrides.grafana !== undefined ? { grafana: overrides.grafana } : {}),
      ...(overrides.alarmEmail ? { alarmEmail: overrides.alarmEmail } : {}),
    },
  };
  if (overrides.mailFrom !== undefined) {
    const m = /^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/.exec(overrides.mailFrom);
    if (!m) throw new Error(`mailFrom must be an email address on a domain (no-reply@shop.example.com), got '${overrides.mailFrom}'`);
    (cfg as { email: StageConfig['email'] }).email = { fromAddress: overrides.mailFrom, identityDomain: m[1]!.toLowerCase() };
  }
  if (cfg.kafka.brokerCount % cfg.network.maxAzs !== 0) {
    throw new Error(`kafka.brokerCount ${cfg.kafka.brokerCount} must be a multiple of network.maxAzs ${cfg.network.maxAzs}`);
  }
  if (cfg.kafka.replicationFactor > cfg.kafka.brokerCount) {
    throw new Error(`kafka.replicationFactor ${cfg.kafka.replicationFactor} exceeds brokerCount ${cfg.kafka.brokerCount}`);
  }
  return cfg;
}
