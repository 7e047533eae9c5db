import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
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

test('every manifest handler bundles into a single CommonJS file with an inline source map', () => {
  for (const h of allHandlers()) {
    const fn = s.platform.app.functions.get(h.name)!;
    const cfn = s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: h.name } } } });
    const [, resource] = Object.entries(cfn)[0] as [string, { Properties: { Code: { S3Key: string } } }];
    const hash = resource.Properties.Code.S3Key.replace(/\.zip$/, '');
    const assetDir = path.join(s.outdir, `asset.${hash}`);
    const file = path.join(assetDir, 'index.js');
    expect([h.name, existsSync(file)]).toEqual([h.name, true]);
    expect(statSync(file).size).toBeGreaterThan(200);
    const code = readFileSync(file, 'utf8');
    expect(code).toMatch(/sourceMappingURL=data:application\/json;base64,/);
    expect([h.name, new RegExp(`exports,"?${h.export ?? 'handler'}"?|exports\\.${h.export ?? 'handler'}|${h.export ?? 'handler'}:\\(\\)=>`).test(code)]).toEqual([h.name, true]);
    expect(fn.def.entry).toBe(h.entry);
  }
}, 60_000);

test('the migrations custom resource ships the migration files next to its bundle', () => {
  const cfn = s.templates.App.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { HANDLER_NAME: 'Migrations' } } } });
  const [, resource] = Object.entries(cfn)[0] as [string, { Properties: { Code: { S3Key: string } } }];
  const dir = path.join(s.outdir, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'migrations');
  const repo = path.resolve(__dirname, '..', '..', 'migrations');
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  expect(readdirSync(dir).sort()).toEqual(readdirSync(repo).sort());
});
