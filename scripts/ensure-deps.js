#!/usr/bin/env node
/**
 * Makes a fresh clone ready; run by npm's "pretest" and "prestart" hooks. Plain Node, no dependencies.
 * Idempotent and quick when everything is already there:
 *   1. `npm ci` when node_modules is missing or stale against package-lock.json;
 *   2. Node.js 24 (scripts/lambda-node.js, as its `install`), the Lambda runtime's, from the npm registry
 *      into .cache/node, unless this Node is already 24 (npm start and the benches run on it);
 *   3. `npm run engines -- install`: the local engines (PostgreSQL and Redis from apt, Kafka and
 *      OpenSearch from Maven Central, FerretDB from the Go module proxy, moto and cfn-lint from PyPI
 *      into .cache/venv). Engines pointed elsewhere by their URL variable are skipped.
 * SKIP_ENGINES_INSTALL=1 skips step 3 (for example when every engine URL points at existing servers
 * anyway, or on a machine that only runs unit tests).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lockFile = path.join(root, 'package-lock.json');
const modules = path.join(root, 'node_modules');
const stamp = path.join(modules, '.ensure-deps.sha256');
const hidden = path.join(modules, '.package-lock.json'); // npm writes it after every install

function sha256(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Why node_modules needs `npm ci`, or '' when it is up to date. */
function staleReason() {
  if (!fs.existsSync(modules)) return 'node_modules is missing';
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const wanted = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  const missing = wanted.filter((name) => !fs.existsSync(path.join(modules, name, 'package.json')));
  if (missing.length) return `node_modules lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`;
  const hash = sha256(lockFile);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === hash) return '';
  // Installed by npm itself after the lock file last changed (npm ci / npm install): up to date.
  if (mtime(hidden) >= mtime(lockFile) - 2000) {
    fs.writeFileSync(stamp, `${hash}\n`);
    return '';
  }
  return 'package-lock.json changed since node_modules was installed';
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    process.stderr.write(`ensure-deps: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const t0 = Date.now();
const reason = staleReason();
if (reason) {
  process.stderr.write(`ensure-deps: ${reason}: npm ci\n`);
  run(npm, ['ci', '--no-audit', '--no-fund']);
  fs.writeFileSync(stamp, `${sha256(lockFile)}\n`);
}
// The Node.js the Lambda functions run on (24), for `npm start` and the benches (scripts/lambda-node.js).
require('./lambda-node.js').ensureInstalled({ quiet: true });
if (process.env.SKIP_ENGINES_INSTALL !== '1' && process.env.SKIP_ENGINES_INSTALL !== 'true') {
  // tsx from node_modules (installed above), the same entry as `npm run engines -- install`.
  const tsx = path.join(modules, 'tsx', 'dist', 'cli.mjs');
  run(process.execPath, [tsx, path.join(root, 'local', 'engines', 'cli.ts'), 'install', '--quiet']);
}
const secs = (Date.now() - t0) / 1000;
if (secs > 3) process.stderr.write(`ensure-deps: ready in ${secs.toFixed(1)} s\n`);
