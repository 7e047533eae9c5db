import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { configFromContext } from '../../bin/platform-app';
import { stageConfig, stageConfigs } from '../../lib/config';
import { ShopNagChecks } from '../../lib/constructs/nag';
import { manifest, type PlatformManifest } from '../../lib/manifest';
import { synthStage, type Synthesized } from './support/synth';

describe('stage config', () => {
  test('throws when the stage is unknown, naming the valid ones', () => {
    expect(() => stageConfig('qa')).toThrow(/unknown stage 'qa': expected one of dev, prod/);
  });

  test('stages share one shape', () => {
    const shape = (o: unknown): unknown =>
      o && typeof o === 'object' && !Array.isArray(o) ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, shape(v)])) : typeof o;
    expect(shape(stageConfigs.prod)).toEqual(shape(stageConfigs.dev));
  });

  test('switches default to what a fresh account can deploy', () => {
    for (const c of Object.values(stageConfigs)) {
      expect(c.observability.grafana).toBe(false);
      expect(c.network.existingVpcId).toBeUndefined();
      expect(c.api.customDomain).toBeUndefined();
      expect(c.env).toBeUndefined();
    }
    expect(stageConfigs.dev.functions.applyReservedConcurrency).toBe(false);
  });

  test('throws when only one of account/region is given', () => {
    const app = new App({ context: { stage: 'dev', account: '123456789012' } });
    expect(() => configFromContext(app)).toThrow(/both -c account=... and -c region=.../);
  });

  test('throws when grafana is not true/false', () => {
    expect(() => configFromContext(new App({ context: { grafana: 'yes' } }))).toThrow(/-c grafana must be true or false, got 'yes'/);
  });

  test('reads the switches from context', () => {
    const c = configFromContext(new App({ context: { stage: 'prod', grafana: 'true', alarmEmail: 'ops@example.com' } }));
    expect([c.stage, c.observability.grafana, c.observability.alarmEmail]).toEqual(['prod', true, 'ops@example.com']);
  });

  test('throws when an existing VPC is requested without a fixed account/region', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { buildPlatform } = require('../../lib/platform') as typeof import('../../lib/platform');
    expect(() => buildPlatform(app, stageConfig('dev', { existingVpcId: 'vpc-123' }))).toThrow(/existingVpcId 'vpc-123' needs a fixed account\/region/);
  });
});

describe('switches on, and a manifest with one more entry', () => {
  // The synthesized platform follows the manifest: an extra EventBridge-rule handler appears with no CDK change.
  const extended: PlatformManifest = {
    ...manifest,
    services: manifest.services.map((s) =>
      s.name !== 'notification'
        ? s
        : {
            ...s,
            handlers: [
              ...s.handlers,
              {
                name: 'OrderAudit',
                kind: 'rule' as const,
                entry: 'functions/notification/handlers/consumer.ts',
                description: 'test-only rule handler',
                rules: [{ name: 'OrderEvents', pattern: { source: ['shop.order'], 'detail-type': ['OrderCompleted', 'OrderFailed'] } }],
                stores: ['idempotency' as const, 'eventbus' as const],
                implemented: false,
              },
            ],
          },
    ),
  };
  let s: Synthesized;
  beforeAll(() => {
    // Pinned account/region: AZs come from the committed cdk.context.json, so this stays offline.
    const context = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'cdk.context.json'), 'utf8')) as Record<string, unknown>;
    s = synthStage('dev', {
      overrides: { grafana: true, alarmEmail: 'ops@example.com', env: { account: '123456789012', region: 'us-east-1' } },
      manifest: extended,
      context,
    });
  });

  test('pinned to an account/region, the VPC uses the AZs from cdk.context.json (no lookup, no credentials)', () => {
    s.templates.Network.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'us-east-1a' });
    s.templates.Network.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'us-east-1b' });
  });

  test('Managed Grafana workspace with IAM Identity Center and a read-only role', () => {
    s.templates.Observability.hasResourceProperties('AWS::Grafana::Workspace', {
      AuthenticationProviders: ['AWS_SSO'],
      AccountAccessType: 'CURRENT_ACCOUNT',
      PermissionType: 'SERVICE_MANAGED',
      DataSources: Match.arrayWith(['CLOUDWATCH', 'PROMETHEUS']),
    });
    s.templates.Observability.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  test('a rule handler gets a function, a rule on the custom bus with its pattern, and its store bindings', () => {
    s.templates.App.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.anyValue(),
      EventPattern: { source: ['shop.order'], 'detail-type': ['OrderCompleted', 'OrderFailed'] },
      Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrderAudit'), 'Arn'] } })]),
    });
    s.templates.App.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HANDLER_NAME: 'OrderAudit', IDEMPOTENCY_TABLE: Match.anyValue(), EVENT_BUS_NAME: Match.anyValue() }) },
    });
  });
});

describe('cdk-nag', () => {
  function nagApp(): { app: App; stack: Stack } {
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'nag-')) });
    const stack = new Stack(app, 'Shop-dev-App');
    Validations.of(app).addPlugins(new ShopNagChecks(app));
    return { app, stack };
  }

  test('rejects a security group open to the internet (synth fails)', () => {
    const { app, stack } = nagApp();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    Validations.of(vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'test fixture without flow logs' });
    const sg = new ec2.SecurityGroup(stack, 'Open', { vpc });
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(5432));
    expect(() => app.synth()).toThrow(/AwsSolutions-EC23/);
  });

  test('acknowledges documented wildcard findings only: an Action wildcard still fails', () => {
    const { app, stack } = nagApp();
    const role = new iam.Role(stack, 'Fn', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // Resource '*' on X-Ray matches a documented finding (function default policy); s3:* does not.
    const fnRole = new iam.Role(role, 'ServiceRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    fnRole.addToPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] }));
    expect(() => app.synth()).not.toThrow();
    const second = nagApp();
    const r2 = new iam.Role(second.stack, 'Fn', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const fnRole2 = new iam.Role(r2, 'ServiceRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    fnRole2.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    expect(() => second.app.synth()).toThrow(/AwsSolutions-IAM5\[Action::s3:\*\]/);
  });

  // `Resource::*` is acknowledged for the X-Ray actions only (they have no resource-level
  // permissions): any other action on '*' in a function policy is a finding, whether in its own
  // statement or merged into the X-Ray statement.
  test.each([
    ['its own statement', [['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['states:StartExecution']]],
    ['the X-Ray statement', [['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'states:StartExecution']]],
  ])('a function policy with another action on Resource * fails (%s)', (_where, statements) => {
    const { app, stack } = nagApp();
    const fn = new iam.Role(stack, 'Fn', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const fnRole = new iam.Role(fn, 'ServiceRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    for (const actions of statements) fnRole.addToPolicy(new iam.PolicyStatement({ actions, resources: ['*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });

  test('the state machine role may use Resource * for X-Ray and log delivery only', () => {
    const sm = (actions: string[]): (() => void) => {
      const { app, stack } = nagApp();
      const holder = new Construct(new Construct(stack, 'OrderSaga'), 'StateMachine');
      const role = new iam.Role(holder, 'Role', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions, resources: ['*'] }));
      return () => app.synth();
    };
    expect(sm(['xray:PutTraceSegments', 'logs:CreateLogDelivery'])).not.toThrow();
    expect(sm(['xray:PutTraceSegments', 'events:PutEvents'])).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });
});
