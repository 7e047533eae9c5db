/**
 * npm run synth: synthesizes both stages offline (no AWS credentials, no network) into
 * cdk.out/dev and cdk.out/prod, with cdk-nag's AwsSolutions pack (any unacknowledged error fails).
 * In-process (same code as bin/app.ts); writes cdk.out/synth-timing.json.
 *   npm run synth                 both stages
 *   npm run synth -- prod         one stage
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildFromContext, cdkJsonContext } from '../bin/platform-app';
import { STAGES, isStage } from '../lib/config';

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2).filter((a) => a !== '--');
for (const a of args) if (!isStage(a)) throw new Error(`unknown stage '${a}': expected ${STAGES.join(' or ')}`);
const stages = args.length > 0 ? args : [...STAGES];

const timings: Record<string, number> = {};
const t0 = performance.now();
for (const stage of stages) {
  const outdir = path.join(root, 'cdk.out', stage);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const start = performance.now();
  const app = new App({ outdir, context: { ...cdkJsonContext(), stage } });
  buildFromContext(app);
  const assembly = app.synth();
  timings[stage] = Math.round(performance.now() - start);
  console.log(`synth ${stage}: ${assembly.stacks.length} stacks -> ${path.relative(root, outdir)} in ${(timings[stage] / 1000).toFixed(1)} s`);
}
const total = Math.round(performance.now() - t0);
const out = { stages: timings, totalMs: total, node: process.version, at: new Date().toISOString() };
writeFileSync(path.join(root, 'cdk.out', 'synth-timing.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`synth total: ${(total / 1000).toFixed(1)} s`);
