import { App, Aspects, Tags, Validations, type Environment } from 'aws-cdk-lib';
import type { StageConfig } from './config';
import { FunctionDefaults } from './constructs/function-defaults';
import { ShopNagChecks } from './constructs/nag';
import { manifest as defaultManifest, validateManifest, type PlatformManifest } from './manifest';
import { AppStack } from './stacks/app-stack';
import { DataStack } from './stacks/data-stack';
import { MessagingStack } from './stacks/messaging-stack';
import { NetworkStack } from './stacks/network-stack';
import { ObservabilityStack } from './stacks/observability-stack';

export interface Platform {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly messaging: MessagingStack;
  readonly app: AppStack;
  readonly observability: ObservabilityStack;
}

export interface BuildPlatformOptions {
  /** @default the repository manifest */
  readonly manifest?: PlatformManifest;
  /** Run cdk-nag's AwsSolutions pack on synth. @default true */
  readonly nag?: boolean;
}

/**
 * Adds the platform's stacks for one stage to an app. Stateful stacks (network, data, messaging)
 * pass their resources to the stateless ones (app, observability) as typed props.
 */
export function buildPlatform(app: App, config: StageConfig, opts: BuildPlatformOptions = {}): Platform {
  const m = opts.manifest ?? defaultManifest;
  validateManifest(m);
  const env: Environment | undefined = config.env ? { account: config.env.account, region: config.env.region } : undefined;
  const name = (part: string): string => `Shop-${config.stage}-${part}`;
  const common = { env, description: '' };

  const network = new NetworkStack(app, name('Network'), { ...common, description: `Serverless Shop (${config.stage}): VPC, subnets, endpoints`, config });
  const data = new DataStack(app, name('Data'), {
    ...common,
    description: `Serverless Shop (${config.stage}): PostgreSQL + Proxy, DocumentDB, OpenSearch, cache, idempotency table`,
    config,
    vpc: network.vpc,
    dataSubnets: network.dataSubnets,
  });
  const messaging = new MessagingStack(app, name('Messaging'), {
    ...common,
    description: `Serverless Shop (${config.stage}): MSK (IAM/TLS), EventBridge bus + archive`,
    config,
    vpc: network.vpc,
    dataSubnets: network.dataSubnets,
  });
  const application = new AppStack(app, name('App'), {
    ...common,
    description: `Serverless Shop (${config.stage}): functions, REST API, saga state machine, custom resources`,
    config,
    manifest: m,
    vpc: network.vpc,
    appSubnets: network.appSubnets,
    postgres: data.postgres,
    docdb: data.docdb,
    search: data.search,
    cache: data.cache,
    idempotencyTable: data.idempotencyTable,
    kafka: messaging.kafka,
    bus: messaging.bus,
    email: messaging.email,
    chain: data.chain,
  });
  const observability = new ObservabilityStack(app, name('Observability'), {
    ...common,
    description: `Serverless Shop (${config.stage}): dashboard, alarms, Managed Prometheus${config.observability.grafana ? ', Managed Grafana' : ''}`,
    config,
    app: application,
  });

  for (const s of [network, data, messaging, application, observability]) {
    Aspects.of(s).add(new FunctionDefaults());
    Tags.of(s).add('project', 'serverless-shop');
    Tags.of(s).add('stage', config.stage);
  }
  if (opts.nag !== false) Validations.of(app).addPlugins(new ShopNagChecks(app));
  return { network, data, messaging, app: application, observability };
}
