/**
 * Builds the CDK app from CDK context. bin/ is the only place that reads context and process.env;
 * bin/app.ts (the `cdk` entry) and scripts/synth.ts (in-process synth of both stages) share this.
 *   -c stage=dev|prod            (default dev)
 *   -c grafana=true              Managed Grafana workspace (needs IAM Identity Center or SAML)
 *   -c existingVpcId=vpc-...     use an existing VPC (needs -c account=... -c region=...)
 *   -c alarmEmail=ops@example.com
 *   -c domainName=api.example.com -c certificateArn=arn:aws:acm:...   custom API domain
 *   -c corsAllowOrigins=https://shop.example.com,https://admin.example.com
 *   -c account=123456789012 -c region=eu-west-1                       pin the stacks (else env-agnostic)
 *   -c mailFrom=no-reply@shop.example.com   notification From address (its domain: the SES identity)
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { stageConfig, type StageConfig, type StageOverrides } from '../lib/config';
import { buildPlatform, type Platform } from '../lib/platform';

export function configFromContext(app: App): StageConfig {
  const ctx = (k: string): string | undefined => {
    const v = app.node.tryGetContext(k) as unknown;
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const account = ctx('account');
  const region = ctx('region');
  if (!!account !== !!region) throw new Error('pass both -c account=... and -c region=... (or neither, for env-agnostic stacks)');
  const domainName = ctx('domainName');
  const certificateArn = ctx('certificateArn');
  if (!!domainName !== !!certificateArn) throw new Error('a custom domain needs both -c domainName=... and -c certificateArn=...');
  const grafana = ctx('grafana');
  if (grafana !== undefined && grafana !== 'true' && grafana !== 'false') throw new Error(`-c grafana must be true or false, got '${grafana}'`);
  const cors = ctx('corsAllowOrigins');
  const overrides: StageOverrides = {
    ...(grafana !== undefined ? { grafana: grafana === 'true' } : {}),
    ...(ctx('existingVpcId') ? { existingVpcId: ctx('existingVpcId') } : {}),
    ...(ctx('alarmEmail') ? { alarmEmail: ctx('alarmEmail') } : {}),
    ...(domainName && certificateArn ? { customDomain: { domainName, certificateArn } } : {}),
    ...(cors ? { corsAllowOrigins: cors.split(',').map((s) => s.trim()) } : {}),
    ...(account && region ? { env: { account, region } } : {}),
    ...(ctx('mailFrom') ? { mailFrom: ctx('mailFrom') } : {}),
  };
  return stageConfig(ctx('stage') ?? 'dev', overrides);
}

/** Adds the platform for the stage in the app's context. */
export function buildFromContext(app: App): Platform {
  return buildPlatform(app, configFromContext(app));
}

/** The `context` of cdk.json (feature flags), for apps built in-process (scripts/synth.ts, tests). */
export function cdkJsonContext(): Record<string, unknown> {
  const file = path.resolve(__dirname, '..', 'cdk.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return { ...(json.context ?? {}) };
}
