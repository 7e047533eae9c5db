import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { allHandlers } from '../../lib/manifest';
import { synthStage, type Synthesized } from './support/synth';

/**
 * Every manifest entry bundles with the locally installed esbuild (no Docker): one real bundling
 * synth of the dev stage. The other cdk tests skip bundling to stay fast.
 */
let s: Synthesized;
beforeAll(() => {
  s = synthStage('dev', { bundle: true });
}, 180_000);

/** The asset folder of a manifest handler's function (its bundle is index.js there). */
function assetDirOf(handlerName: string): string {
  const cfn = s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: handlerName } } } });
  const [, resource] = Object.entries(cfn)[0] as [string, { Properties: { Code: { S3Key: string } } }];
  return path.join(s.outdir, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
}

test('every manifest handler bundles into a single CommonJS file with an inline source map', () => {
  for (const h of allHandlers()) {
    const fn = s.platform.app.functions.get(h.name)!;
    const file = path.join(assetDirOf(h.name), 'index.js');
    expect([h.name, existsSync(file)]).toEqual([h.name, true]);
    expect(statSync(file).size).toBeGreaterThan(200);
    const code = readFileSync(file, 'utf8');
    expect(code).toMatch(/sourceMappingURL=data:application\/json;base64,/);
    expect([h.name, new RegExp(`exports,"?${h.export ?? 'handler'}"?|exports\\.${h.export ?? 'handler'}|${h.export ?? 'handler'}:\\(\\)=>`).test(code)]).toEqual([h.name, true]);
    expect(fn.def.entry).toBe(h.entry);
  }
}, 60_000);

test('the migrations custom resource ships the migration files next to its bundle', () => {
  const dir = path.join(assetDirOf('Migrations'), 'migrations');
  const repo = path.resolve(__dirname, '..', '..', 'migrations');
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  expect(readdirSync(dir).sort()).toEqual(readdirSync(repo).sort());
});

test('every bundle loads like on Lambda: only the AWS SDK v3 outside the bundle, the handler export is a function, task error names survive minification', () => {
  const { cpSync, mkdirSync, mkdtempSync, symlinkSync } = require('node:fs') as typeof import('node:fs');
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  // Outside the repository, so nothing resolves from its node_modules but the runtime-provided SDK.
  const sandbox = mkdtempSync(path.join(tmpdir(), 'lambda-like-'));
  const sdkOnly = path.join(sandbox, 'runtime', 'node_modules');
  mkdirSync(sdkOnly, { recursive: true });
  symlinkSync(path.resolve(__dirname, '..', '..', 'node_modules', '@aws-sdk'), path.join(sdkOnly, '@aws-sdk'));
  const fns = s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: Match.anyValue() } } } });
  expect(Object.keys(fns)).toHaveLength(allHandlers().length);
  for (const r of Object.values(fns) as Array<{ Properties: { Code: { S3Key: string }; Handler: string; Environment: { Variables: Record<string, unknown> } } }>) {
    const vars = r.Properties.Environment.Variables;
    const name = String(vars.HANDLER_NAME);
    const dir = path.join(sandbox, name);
    cpSync(path.join(s.outdir, `asset.${r.Properties.Code.S3Key.replace(/\.zip$/, '')}`), dir, { recursive: true });
    // Deploy-time values (tokens) become plausible placeholders; nothing is contacted at module load.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) env[k] = typeof v === 'string' ? v : k.endsWith('_ARN') ? 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x' : 'store.internal.example';
    const exportName = r.Properties.Handler.split('.')[1]!;
    // Saga task bundles are also called with an unknown action: the error NAME must survive
    // minification, because the ASL's Retry/Catch match on it (Lambda reports errorType = name).
    const isTask = allHandlers().find((h) => h.name === name)?.kind === 'task';
    const probe = isTask ? `m[${JSON.stringify(exportName)}]({ action: '__unknown__' }).then(() => console.log('NAME:none'), (e) => console.log('NAME:' + e.name));` : '';
    const run = spawnSync(process.execPath, ['-e', `const m = require('./index.js'); if (typeof m[${JSON.stringify(exportName)}] !== 'function') { console.error('no export ${exportName}'); process.exit(3); } ${probe}`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: sdkOnly, AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: name, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const firstError = `${run.stderr}`.split('\n').find((l) => /Error/.test(l)) ?? '';
    expect([name, run.status, firstError]).toEqual([name, 0, '']);
    if (isTask) expect([name, /NAME:(\w+)/.exec(`${run.stdout}`)?.[1]]).toEqual([name, 'ValidationError']);
  }
}, 120_000);

test('every bundle that carries kafkajs carries its request-queue timer loop fix too (functions/shared/adapters/kafkajs.ts)', () => {
  let withKafka = 0;
  for (const h of allHandlers()) {
    const code = readFileSync(path.join(assetDirOf(h.name), 'index.js'), 'utf8');
    // A string literal of kafkajs's RequestQueue, kept by the minifier.
    if (!code.includes('Consumed pending request')) continue;
    withKafka++;
    expect([h.name, code.includes('shop.kafkajs.requestQueueTimerLoopFixed')]).toEqual([h.name, true]);
  }
  expect(withKafka).toBeGreaterThan(0);
});
