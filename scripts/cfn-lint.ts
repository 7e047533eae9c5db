/**
 * Runs cfn-lint (PyPI, pinned, in .cache/venv) over every synthesized template under cdk.out/
 * (run `npm run synth` first). Installs cfn-lint when missing. Exit code 1 on any cfn-lint error
 * (warnings are printed, not fatal).
 *   npx tsx scripts/cfn-lint.ts [cdk.out-dir]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

export const CFN_LINT_VERSION = '1.58.0';
const root = path.resolve(__dirname, '..');
const venv = path.join(root, '.cache', 'venv');
export const CFN_LINT = path.join(venv, 'bin', 'cfn-lint');

function run(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Installs the pinned cfn-lint into .cache/venv unless that exact version is already there. Throws loudly on failure. */
export function ensureCfnLint(): string {
  if (existsSync(CFN_LINT)) {
    const v = run(CFN_LINT, ['--version']);
    if (v.out.includes(CFN_LINT_VERSION)) return CFN_LINT;
  }
  if (!existsSync(path.join(venv, 'bin', 'pip'))) {
    const r = run('python3', ['-m', 'venv', venv]);
    if (r.status !== 0) throw new Error(`cannot create ${venv} (python3 -m venv): ${r.out}`);
  }
  const r = run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `cfn-lint==${CFN_LINT_VERSION}`]);
  if (r.status !== 0 || !existsSync(CFN_LINT)) throw new Error(`cannot install cfn-lint==${CFN_LINT_VERSION} from PyPI: ${r.out}`);
  return CFN_LINT;
}

/** Every *.template.json under dir (recursively, skipping nested asset dirs). */
export function templatesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith('asset.')) out.push(...templatesUnder(p));
    else if (e.isFile() && e.name.endsWith('.template.json')) out.push(p);
  }
  return out.sort();
}

export interface CfnLintResult {
  readonly templates: string[];
  readonly errors: number;
  readonly warnings: number;
  readonly output: string;
}

/** Lints the templates; counts E (errors) and W (warnings) findings. */
export function cfnLint(templates: readonly string[]): CfnLintResult {
  if (templates.length === 0) throw new Error('no templates to lint (run npm run synth first)');
  const bin = ensureCfnLint();
  const r = run(bin, ['--format', 'parseable', '--non-zero-exit-code', 'error', ...templates]);
  const lines = r.out.split('\n').filter(Boolean);
  const errors = lines.filter((l) => /:E\d{4}:/.test(l)).length;
  const warnings = lines.filter((l) => /:W\d{4}:/.test(l)).length;
  if (r.status !== 0 && errors === 0) throw new Error(`cfn-lint failed without parseable errors (exit ${r.status}): ${r.out.slice(0, 2000)}`);
  return { templates: [...templates], errors, warnings, output: r.out };
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? path.join(root, 'cdk.out'));
  const res = cfnLint(templatesUnder(dir));
  const errs = res.output.split('\n').filter((l) => /:E\d{4}:/.test(l));
  for (const l of errs) console.error(l);
  console.log(`cfn-lint ${CFN_LINT_VERSION}: ${res.templates.length} templates, ${res.errors} errors, ${res.warnings} warnings`);
  process.exit(res.errors > 0 ? 1 : 0);
}
