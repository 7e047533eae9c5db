#!/usr/bin/env node
/**
 * The CDK app. The only place that reads CDK context and process.env:
 *   -c stage=dev|prod            (default dev)
 *   -c grafana=true              Managed Grafana workspace (needs IAM Identity Center or SAML)
 *   -c existingVpcId=vpc-...     use an existing VPC (needs -c account=... -c region=...)
 *   -c alarmEmail=ops@example.com
 *   -c domainName=api.example.com -c certificateArn=arn:aws:acm:...   custom API domain
 *   -c account=123456789012 -c region=eu-west-1                       pin the stacks (else env-agnostic)
 */
import { App } from 'aws-cdk-lib';
import { stageConfig, type StageOverrides } from '../lib/config';
import { buildPlatform } from '../lib/platform';

const app = new App();
const ctx = (k: string): string | undefined => {
  const v = app.node.tryGetContext(k) as unknown;
  return v === undefined || v === null || v === '' ? undefined : String(v);
};

const account = ctx('account');
const region = ctx('region') ?? (account ? process.env.CDK_DEFAULT_REGION : undefined);
if ((account && !region) || (!account && ctx('region'))) throw new Error('pass both -c account=... and -c region=... (or neither for env-agnostic stacks)');
const domainName = ctx('domainName');
const certificateArn = ctx('certificateArn');
if (!!domainName !== !!certificateArn) throw new Error('a custom domain needs both -c domainName=... and -c certificateArn=...');

const overrides: StageOverrides = {
  ...(ctx('grafana') !== undefined ? { grafana: ctx('grafana') === 'true' } : {}),
  ...(ctx('existingVpcId') ? { existingVpcId: ctx('existingVpcId') } : {}),
  ...(ctx('alarmEmail') ? { alarmEmail: ctx('alarmEmail') } : {}),
  ...(domainName && certificateArn ? { customDomain: { domainName, certificateArn } } : {}),
  ...(ctx('corsAllowOrigins') ? { corsAllowOrigins: ctx('corsAllowOrigins')!.split(',') } : {}),
  ...(account && region ? { env: { account, region } } : {}),
};

buildPlatform(app, stageConfig(ctx('stage') ?? 'dev', overrides));
app.synth();
