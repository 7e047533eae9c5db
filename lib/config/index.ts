/**
 * One typed config per stage, in code. `process.env` and CDK context are read only in bin/app.ts,
 * which picks a stage and applies the switches it was given (`-c grafana=true` ...).
 * Stages differ in sizes, counts, retention and removal policies; the shape does not.
 */

// viem's EIP-55 check, required rather than imported: `import ... from 'viem'` here makes tsc type-check
// ox's TypeScript sources (viem's dependency, shipped as .ts), which need DOM types this project has not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isAddress } = require('viem') as { isAddress: (address: string, options: { strict: boolean }) => boolean };

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

  /**
   * The web3 service (Web3Api, store `chain`): the EVM chain it verifies against, the ERC-20
   * stablecoin accepted for payments, and what sign-in messages must name. The JSON-RPC URL is not
   * here: provider URLs embed an API key, so it is a secret the operator sets (docs/cdk.md).
   * `-c web3ChainId=... -c web3PayeeAddress=0x... -c siweDomain=shop.example.com` (bin/platform-app.ts).
   */
  readonly web3: Web3Config;


  /** RETAIN + deletion protection for data stores (prod), DESTROY (dev). */
  readonly retainData: boolean;
}

export interface Web3Config {
  /** EIP-155 chain id. */
  readonly chainId: number;
  /**
   * The ERC-20 stablecoin payments are made in, pegged 1:1 to `tokenCurrency`.
   * @default none: crypto payments answer 501 (synth fails when a payee is set without it)
   */
  readonly tokenAddress?: string;
  /**
   * ISO 4217 code the token is pegged to. Orders in another currency cannot be paid with it, so it
   * must be the shop's currency (the order service's SHOP_CURRENCY, EUR by default). @default EUR
   */
  readonly tokenCurrency: string;
  /** The shop's receiving wallet. @default none: crypto payments answer 501 */
  readonly payeeAddress?: string;
  /** Blocks on top of (and including) a payment's block before it counts: the reorg margin. */
  readonly minConfirmations: number;
  /** host[:port] of the shop's front end, which SIWE messages must name. @default none: wallet sign-in answers 501 */
  readonly siweDomain?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Base mainnet, in the shop's currency (EUR); both stages (a test stage points -c web3ChainId at a
 * testnet). No default token: the stablecoin is the operator's choice (Circle's EURC, say) and is
 * checked nowhere else, so it is never guessed.
 */
const WEB3_DEFAULTS: Web3Config = { chainId: 8453, tokenCurrency: 'EUR', minConfirmations: 12 };

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
    web3: WEB3_DEFAULTS,
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
    web3: WEB3_DEFAULTS,
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
  /** EIP-155 chain id of the web3 service. */
  readonly web3ChainId?: number;
  /** The accepted ERC-20 stablecoin. @default none (crypto payments answer 501) */
  readonly web3TokenAddress?: string;
  readonly web3TokenCurrency?: string;
  readonly web3PayeeAddress?: string;
  readonly web3MinConfirmations?: number;
  readonly siweDomain?: string;
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
  (cfg as { web3: Web3Config }).web3 = web3Config(base.web3, overrides);
  if (cfg.kafka.brokerCount % cfg.network.maxAzs !== 0) {
    throw new Error(`kafka.brokerCount ${cfg.kafka.brokerCount} must be a multiple of network.maxAzs ${cfg.network.maxAzs}`);
  }
  if (cfg.kafka.replicationFactor > cfg.kafka.brokerCount) {
    throw new Error(`kafka.replicationFactor ${cfg.kafka.replicationFactor} exceeds brokerCount ${cfg.kafka.brokerCount}`);
  }
  return cfg;
}

/**
 * The stage's web3 settings with the switches applied, validated here because a wrong value is
 * expensive later: a mistyped payee address sends customers' money to a wallet nobody holds.
 * Throws naming the context key, what it got and what it expected.
 */
function web3Config(base: Web3Config, o: StageOverrides): Web3Config {
  const chainId = o.web3ChainId ?? base.chainId;
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new Error(`web3ChainId must be a positive integer (EIP-155 chain id, e.g. 8453 for Base), got '${chainId}'`);
  // A token address belongs to one chain: changing the chain drops the stage's token.
  const tokenAddress = o.web3TokenAddress ?? (chainId === base.chainId ? base.tokenAddress : undefined);
  if (tokenAddress !== undefined) checkAddress('web3TokenAddress', tokenAddress);
  const tokenCurrency = o.web3TokenCurrency ?? base.tokenCurrency;
  // The shape only: Intl.supportedValuesOf('currency') lacks codes such as XAU, which a gold-backed token is pegged to.
  if (!/^[A-Z]{3}$/.test(tokenCurrency)) {
    throw new Error(`web3TokenCurrency must be an ISO 4217 currency code in capitals (USD, EUR), got '${tokenCurrency}'`);
  }
  const payeeAddress = o.web3PayeeAddress ?? base.payeeAddress;
  if (payeeAddress !== undefined) checkAddress('web3PayeeAddress', payeeAddress);
  if (payeeAddress !== undefined && tokenAddress === undefined) {
    throw new Error(`web3PayeeAddress is set but web3TokenAddress is not: pass -c web3TokenAddress=0x... (the ERC-20 stablecoin pegged to ${tokenCurrency} on chain ${chainId}, e.g. Circle's EURC for EUR)`);
  }
  const minConfirmations = o.web3MinConfirmations ?? base.minConfirmations;
  if (!Number.isInteger(minConfirmations) || minConfirmations < 1 || minConfirmations > 1000) {
    throw new Error(`web3MinConfirmations must be an integer from 1 to 1000, got '${minConfirmations}'`);
  }
  const siweDomain = o.siweDomain ?? base.siweDomain;
  if (siweDomain !== undefined && !isHostPort(siweDomain)) {
    throw new Error(`siweDomain must be the front end's host[:port] without scheme or path (shop.example.com, localhost:3000), got '${siweDomain}'`);
  }
  return {
    chainId,
    ...(tokenAddress !== undefined ? { tokenAddress } : {}),
    tokenCurrency,
    ...(payeeAddress !== undefined ? { payeeAddress } : {}),
    minConfirmations,
    // Hosts are case-insensitive and browsers (window.location.host) send them in lower case.
    ...(siweDomain !== undefined ? { siweDomain: siweDomain.toLowerCase() } : {}),
  };
}

/** 0x + 40 hex digits; a mixed-case address must carry a valid EIP-55 checksum (it catches typos); never the zero address. */
function checkAddress(key: string, value: string): void {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new Error(`${key} must be a 0x-prefixed 20-byte hex address (0x + 40 hex digits), got '${value}'`);
  if (!isAddress(value, { strict: true })) throw new Error(`${key} '${value}' fails its EIP-55 checksum (the mixed case of a copied address): it has a typo; copy it again from the wallet or explorer`);
  if (/^0x0{40}$/.test(value)) throw new Error(`${key} must not be the zero address`);
}

/** A DNS name or IPv4 address, optionally with a port 1-65535: what `new URL(...).host` gives for http(s). */
function isHostPort(value: string): boolean {
  const m = /^([^:/?#@\s]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const [, host, port] = m;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
  return host!.length <= 253 && host!.split('.').every((l) => label.test(l));
}
