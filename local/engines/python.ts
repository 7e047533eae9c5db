/**
 * One Python virtualenv (.cache/venv) for the Python tools the project uses:
 * moto's server (the local DynamoDB) and cfn-lint (used by the CDK tests).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Log } from './types';
import { VENV_DIR, aptInstall, isRoot, run, which } from './util';

/** Pinned: moto 5.2 serves DynamoDB with conditional writes and TransactWriteItems. */
export const PYTHON_PACKAGES = ['moto[server]==5.2.5', 'cfn-lint==1.58.0'];

export const venvBin = (tool: string): string => path.join(VENV_DIR, 'bin', tool);

/** Path of cfn-lint in the project's venv (installed by `npm run engines -- install`). */
export const CFN_LINT = venvBin('cfn-lint');

export function pythonToolsInstalled(): boolean {
  return existsSync(venvBin('moto_server')) && existsSync(venvBin('cfn-lint'));
}

let installing: Promise<void> | undefined;

/** Creates the venv and installs the pinned tools; concurrent callers share one run. */
export function ensurePythonTools(log: Log): Promise<void> {
  if (pythonToolsInstalled()) return Promise.resolve();
  installing ??= installPythonTools(log).finally(() => (installing = undefined));
  return installing;
}

async function installPythonTools(log: Log): Promise<void> {
  const python = which('python3');
  if (!python) {
    if (!isRoot()) throw new Error('python3 is missing: install Python 3.9+ (with venv)');
    await aptInstall(['python3', 'python3-venv'], log);
  }
  if (!existsSync(venvBin('python'))) {
    log(`python: creating ${path.relative(process.cwd(), VENV_DIR) || VENV_DIR}`);
    try {
      await run('python3', ['-m', 'venv', VENV_DIR], { timeoutMs: 120_000 });
    } catch (err) {
      // Debian's python3 lacks ensurepip until python3-venv is installed.
      if (!isRoot()) throw err;
      await aptInstall(['python3-venv'], log);
      await run('python3', ['-m', 'venv', '--clear', VENV_DIR], { timeoutMs: 120_000 });
    }
  }
  log(`python: pip install ${PYTHON_PACKAGES.join(' ')}`);
  await run(venvBin('python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', ...PYTHON_PACKAGES], {
    timeoutMs: 15 * 60_000,
    env: { ...process.env, PIP_NO_INPUT: '1' },
  });
}
