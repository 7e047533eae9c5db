import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { cdkJsonContext } from '../../../bin/platform-app';
import { stageConfig, type Stage, type StageOverrides } from '../../../lib/config';
import { buildPlatform, type Platform } from '../../../lib/platform';
import type { PlatformManifest } from '../../../lib/manifest';

export interface Synthesized {
  readonly stage: Stage;
  readonly app: App;
  readonly platform: Platform;
  readonly outdir: string;
  /** Template per stack, by short name (Network, Data, Messaging, App, Observability). */
  readonly templates: Record<'Network' | 'Data' | 'Messaging' | 'App' | 'Observability', Template>;
  /** All resources of all stacks: [stack short name, logical id, resource]. */
  readonly resources: Array<[string, string, { Type: string; Properties?: Record<string, unknown> }]>;
}

export interface SynthOptions {
  readonly overrides?: StageOverrides;
  readonly manifest?: PlatformManifest;
  /** Bundle function code with esbuild (slow); otherwise assets are not bundled. @default false */
  readonly bundle?: boolean;
  /** Extra CDK context (e.g. the committed cdk.context.json). @default none */
  readonly context?: Record<string, unknown>;
}

/**
 * Synthesizes one stage the way `npm run synth` does (cdk.json context, cdk-nag on); the synth
 * throws when cdk-nag reports an unacknowledged error. Without `bundle`, NodejsFunction bundling
 * is skipped (context aws:cdk:bundling-stacks = []) to keep the cdk test project fast;
 * test/cdk/bundling.test.ts bundles for real.
 */
export function synthStage(stage: Stage, opts: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), `shop-cdk-${stage}-`));
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), ...(opts.context ?? {}), stage, ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const platform = buildPlatform(app, stageConfig(stage, opts.overrides ?? {}), opts.manifest ? { manifest: opts.manifest } : {});
  app.synth();
  const stacks: Record<string, Stack> = {
    Network: platform.network,
    Data: platform.data,
    Messaging: platform.messaging,
    App: platform.app,
    Observability: platform.observability,
  };
  const templates = Object.fromEntries(Object.entries(stacks).map(([k, s]) => [k, Template.fromStack(s)])) as Synthesized['templates'];
  const resources: Synthesized['resources'] = [];
  for (const [name, t] of Object.entries(templates)) {
    for (const [id, r] of Object.entries(t.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)) resources.push([name, id, r]);
  }
  return { stage, app, platform, outdir, templates, resources };
}

/** The cdk-nag violations written by the last synth into the cloud assembly (empty when none). */
export function nagViolations(outdir: string): Array<{ rule: string; severity: string; paths: string[] }> {
  const file = path.join(outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports: Array<{ violations: Array<{ ruleName: string; severity: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
  };
  return report.pluginReports.flatMap((p) => p.violations.map((v) => ({ rule: v.ruleName, severity: v.severity, paths: v.violatingConstructs.map((c) => c.constructPath) })));
}

/** Resources of one type across all stacks. */
export function ofType(s: Synthesized, type: string): Array<[string, string, Record<string, unknown>]> {
  return s.resources.filter(([, , r]) => r.Type === type).map(([st, id, r]) => [st, id, r.Properties ?? {}]);
}
