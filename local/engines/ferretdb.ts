/**
 * A MongoDB-wire-compatible server for DocumentDB: FerretDB v1.24.2, built from the Go module proxy
 * (github.com/FerretDB/FerretDB@v1.24.2, ./cmd/ferretdb) into .cache/engines/ferretdb-<v>/bin.
 * `go install module@version` builds a binary that panics at start (the module zip lacks the generated
 * build/version/version.txt), so we copy the module source, write that file, and `go build`.
 * Backend: SQLite (files in .engines/mongo/data), so it depends on no other engine.
 */
import { cpSync, chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { PORTS, type Endpoints } from './endpoints';
import type { Engine, Log } from './types';
import { CACHE_DIR, ensureDir, run, spawnDaemon, stateDir, which } from './util';

export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';
const HOME = path.join(CACHE_DIR, `ferretdb-${FERRETDB_VERSION.replace(/^v/, '')}`);
const BIN = path.join(HOME, 'bin', 'ferretdb');
const STATE = stateDir('mongo');

export const mongo: Engine = {
  name: 'mongo',
  title: `FerretDB ${FERRETDB_VERSION} (MongoDB wire, SQLite backend)`,
  marker: `127.0.0.1:${PORTS.mongo}`,
  startTimeoutMs: 30_000,
  where: (e: Endpoints) => e.mongoUrl,
  installed: () => existsSync(BIN),

  async install(log: Log) {
    const go = which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
    if (!go) throw new Error('FerretDB is built from source and needs Go 1.22+ (https://go.dev/doc/install), or set MONGO_URL');
    const gopath = path.join(CACHE_DIR, 'go');
    const env = {
      ...process.env,
      GOMODCACHE: path.join(gopath, 'mod'),
      GOCACHE: path.join(gopath, 'build'),
      GOPATH: gopath,
      GOFLAGS: '-modcacherw',
      CGO_ENABLED: '0',
    };
    log(`go mod download ${MODULE}@${FERRETDB_VERSION}`);
    const info = JSON.parse(await run(go, ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], { env, cwd: CACHE_DIR, timeoutMs: 20 * 60_000 })) as { Dir?: string };
    if (!info.Dir) throw new Error(`go mod download gave no directory for ${MODULE}@${FERRETDB_VERSION}`);
    const src = path.join(HOME, 'src');
    rmSync(src, { recursive: true, force: true });
    ensureDir(HOME);
    cpSync(info.Dir, src, { recursive: true });
    chmodSync(src, 0o755);
    await run('chmod', ['-R', 'u+w', src]);
    writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    log('go build ./cmd/ferretdb');
    await run(go, ['build', '-trimpath', '-o', BIN, './cmd/ferretdb'], { env, cwd: src, timeoutMs: 30 * 60_000 });
    // The binary is all we need: drop the sources, the module cache and Go's build cache (~650 MB).
    rmSync(src, { recursive: true, force: true });
    rmSync(gopath, { recursive: true, force: true });
  },

  async launch() {
    const data = ensureDir(path.join(STATE, 'data'));
    const st = ensureDir(path.join(STATE, 'state'));
    return spawnDaemon('mongo', BIN, [
      `--listen-addr=127.0.0.1:${PORTS.mongo}`,
      '--handler=sqlite',
      `--sqlite-url=file:${data}/`,
      `--state-dir=${st}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ]);
  },

  async probe(e: Endpoints) {
    const c = new MongoClient(e.mongoUrl, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500 });
    try {
      await c.connect();
      const r = await c.db('admin').command({ ping: 1 });
      return r.ok === 1;
    } catch {
      return false;
    } finally {
      await c.close().catch(() => undefined);
    }
  },
};

