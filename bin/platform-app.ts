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
 *   web3 (docs/cdk.md; defaults in lib/config):
 *   -c web3ChainId=8453                     EIP-155 chain id (default Base mainnet)
 *   -c web3TokenAddress=0x...               accepted ERC-20 stablecoin (default: the chain's USDC, when known)
 *   -c web3TokenCurrency=USD                ISO 4217 code the token is pegged to
 *   -c web3PayeeAddress=0x...               the shop's receiving wallet (absent: crypto payments answer 501)
 *   -c web3MinConfirmations=12              confirmations before a payment counts (1-1000)
 *   -c siweDomain=shop.example.com          front-end host[:port] SIWE messages must name (absent: sign-in answers 501)
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
  /** A whole-number context value; range checks are lib/config's. */
  const int = (k: string): number | undefined => {
    const v = ctx(k);
    if (v === undefined) return undefined;
    if (!/^[0-9]+$/.test(v.trim())) throw new Error(`-c ${k} must be a whole number, got '${v}'`);
    return Number(v.trim());
  };
  const web3ChainId = int('web3ChainId');
  const web3MinConfirmations = int('web3MinConfirmations');
  const overrides: StageOverrides = {
    ...(grafana !== undefined ? { grafana: grafana === 'true' } : {}),
    ...(ctx('existingVpcId') ? { existingVpcId: ctx('existingVpcId') } : {}),
    ...(ctx('alarmEmail') ? { alarmEmail: ctx('alarmEmail') } : {}),
    ...(domainName && certificateArn ? { customDomain: { domainName, certificateArn } } : {}),
    ...(cors ? { corsAllowOrigins: cors.split(',').map((s) => s.trim()) } : {}),
    ...(account && region ? { env: { account, region } } : {}),
    ...(ctx('mailFrom') ? { mailFrom: ctx('mailFrom') } : {}),
    ...(web3ChainId !== undefined ? { web3ChainId } : {}),
    ...(ctx('web3TokenAddress') ? { web3TokenAddress: ctx('web3TokenAddress') } : {}),
    ...(ctx('web3TokenCurrency') ? { web3TokenCurrency: ctx('web3TokenCurrency') } : {}),
    ...(ctx('web3PayeeAddress') ? { web3PayeeAddress: ctx('web3PayeeAddress') } : {}),
    ...(web3MinConfirmations !== undefined ? { web3MinConfirmations } : {}),
    ...(ctx('siweDomain') ? { siweDomain: ctx('siweDomain') } : {}),
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
