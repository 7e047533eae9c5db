/**
 * The engines runner itself: status, concurrent starts (in one process and across processes) reuse
 * the running engines, external endpoints are only checked, failures name the engine and its log.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ENGINE_ENV_VAR, ENGINE_NAMES, EngineStartError, PORTS, endpoints, engineEnv, engineStatus, startEngines } from '../../../local/engines';
import { pidFile, ROOT } from '../../../local/engines/util';

jest.setTimeout(120_000);

/**
 * The global setup exported every engine URL variable for the tests; the runner would then take all
 * engines for external ones. Here we drop the variables of the engines the runner manages.
 */
function managedEnv(): NodeJS.ProcessEnv {
  const external = new Set((process.env.ENGINES_EXTERNAL ?? '').split(',').filter(Boolean));
  const env = { ...process.env };
  for (const n of ENGINE_NAMES) if (!external.has(n)) delete env[ENGINE_ENV_VAR[n]];
  return env;
}

const saved = { ...process.env };
beforeEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  const env = managedEnv();
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
});
afterAll(() => Object.assign(process.env, saved));

const tsx = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const cli = (args: string[]) => runTs(path.join(ROOT, 'local', 'engines', 'cli.ts'), args);
const child = (args: string[]) => runTs(path.join(__dirname, 'fixtures', 'start-child.ts'), args);

function runTs(file: string, args: string[], env: NodeJS.ProcessEnv = managedEnv()): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsx, file, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => resolve({ code, out, stdout }));
  });
}

describe('engines runner', () => {
  it('reports all seven engines ready', async () => {
    const st = await engineStatus();
    expect(st.map((s) => s.name)).toEqual([...ENGINE_NAMES]);
    expect(st.filter((s) => !s.ready).map((s) => s.name)).toEqual([]);
  });

  it('reuses the running engines when two starts race in one process', async () => {
    const [a, b] = await Promise.all([startEngines({ only: ['postgres', 'redis'], log: () => undefined }), startEngines({ only: ['postgres', 'redis'], log: () => undefined })]);
    expect(a.started).toEqual([]);
    expect(b.started).toEqual([]);
    expect([...a.reused, ...a.external].sort()).toEqual(['postgres', 'redis']);
    expect([...b.reused, ...b.external].sort()).toEqual(['postgres', 'redis']);
  });

  it('reuses the running engines when two processes start them at once (cross-process lock)', async () => {
    const local = ['postgres', 'redis'] as const;
    const pids = (): string[] => local.map((n) => (existsSync(pidFile(n)) ? readFileSync(pidFile(n), 'utf8').trim() : ''));
    const before = pids();
    const [x, y] = await Promise.all([child(['postgres', 'redis']), child(['postgres', 'redis'])]);
    expect(x.code).toBe(0);
    expect(y.code).toBe(0);
    for (const r of [x, y]) {
      const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as { started: string[]; reused: string[]; external: string[] };
      expect(report.started).toEqual([]);
      expect([...report.reused, ...report.external].sort()).toEqual(['postgres', 'redis']);
    }
    expect(pids()).toEqual(before);
  });

  it('throws when an engine pointed at an external endpoint does not answer, naming the variable', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = 'redis://127.0.0.1:9'; // discard port: nothing answers
    try {
      await expect(startEngines({ only: ['redis'], log: () => undefined })).rejects.toThrow(/REDIS_URL=redis:\/\/127\.0\.0\.1:9 is set but does not answer/);
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });

  it('rejects an unknown engine name on the command line', async () => {
    const r = await cli(['start', 'cassandra']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/unknown engine\(s\): cassandra/);
  });

  it('throws when an engine cannot start, naming the engine, its log and the last lines of the log', async () => {
    // A throw-away set of engines (own state folder, shifted ports) whose Redis port is already taken.
    const state = mkdtempSync(path.join(tmpdir(), 'engines-it-state-'));
    const offset = 3000 + (process.pid % 1000);
    const port = PORTS.redis - Number(process.env.ENGINES_PORT_OFFSET ?? 0) + offset; // the child's Redis port
    const squatter = createServer((sock) => sock.destroy());
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const r = await runTs(path.join(__dirname, 'fixtures', 'start-child.ts'), ['redis'], { ...managedEnv(), ENGINES_STATE_DIR: state, ENGINES_PORT_OFFSET: String(offset) });
      expect(r.code).toBe(1);
      expect(r.out).toContain('Redis (redis) failed to start: the process exited');
      expect(r.out).toContain(`Read its log: ${path.join(state, 'redis', 'redis.log')}`);
      expect(r.out).toMatch(/\| .*(Address already in use|Could not create server TCP listening socket)/);
    } finally {
      // Should the child have started one after all, stop it (its pid file is in the throw-away state folder).
      const pidPath = path.join(state, 'redis', 'redis.pid');
      if (existsSync(pidPath)) {
        try {
          process.kill(Number(readFileSync(pidPath, 'utf8').trim()), 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      await new Promise((resolve) => squatter.close(resolve));
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('restarts an engine of its own that listens on another port than the configured one (e.g. an older default)', async () => {
    // A throw-away Redis in its own state folder, started on one port, then asked for on the next.
    const state = mkdtempSync(path.join(tmpdir(), 'engines-it-state-'));
    const offset = 3000 + (process.pid % 1000);
    const env = (o: number) => ({ ...managedEnv(), ENGINES_STATE_DIR: state, ENGINES_PORT_OFFSET: String(o) });
    const pidPath = path.join(state, 'redis', 'redis.pid');
    const pidNow = () => Number(readFileSync(pidPath, 'utf8').trim());
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    let oldPid = 0;
    try {
      const first = await runTs(path.join(__dirname, 'fixtures', 'start-child.ts'), ['redis'], env(offset));
      expect(first.code).toBe(0);
      oldPid = pidNow();
      const oldPort = PORTS.redis - Number(process.env.ENGINES_PORT_OFFSET ?? 0) + offset;
      expect(readFileSync(path.join(state, 'redis', 'port'), 'utf8').trim()).toBe(String(oldPort));

      const second = await runTs(path.join(__dirname, 'fixtures', 'start-child.ts'), ['redis'], env(offset + 1));
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout.trim().split('\n').pop()!)).toMatchObject({ started: ['redis'], reused: [] });
      expect(second.out).toContain(`redis: pid ${oldPid} was started on port ${oldPort}; restarting it on ${oldPort + 1}`);
      expect(alive(oldPid)).toBe(false);
      expect(pidNow()).not.toBe(oldPid);
      expect(alive(pidNow())).toBe(true);
      expect(readFileSync(path.join(state, 'redis', 'port'), 'utf8').trim()).toBe(String(oldPort + 1));
    } finally {
      for (const pid of [oldPid, existsSync(pidPath) ? pidNow() : 0]) {
        if (pid > 0 && alive(pid)) process.kill(pid, 'SIGTERM');
      }
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('names the engine, the log file and its last lines when an engine fails to start', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'engines-it-'));
    const log = path.join(dir, 'kafka.log');
    writeFileSync(log, 'line 1\nERROR Exiting Kafka due to fatal exception\n');
    const err = new EngineStartError('kafka', log, 'the process exited');
    expect(err.message).toContain('(kafka) failed to start: the process exited');
    expect(err.message).toContain(`Read its log: ${log}`);
    expect(err.message).toContain('| ERROR Exiting Kafka due to fatal exception');
    rmSync(dir, { recursive: true, force: true });
  });

  it('derives endpoints from the variables, defaulting to the fixed loopback ports', () => {
    expect(endpoints({})).toEqual({
      pgUrl: `postgres://shop:shop@127.0.0.1:${PORTS.postgres}/shop`,
      redisUrl: `redis://127.0.0.1:${PORTS.redis}`,
      kafkaBrokers: [`127.0.0.1:${PORTS.kafka}`],
      opensearchUrl: `http://127.0.0.1:${PORTS.opensearch}`,
      mongoUrl: `mongodb://127.0.0.1:${PORTS.mongo}/shop`,
      dynamodbEndpoint: `http://127.0.0.1:${PORTS.dynamodb}`,
      chainRpcUrl: `http://127.0.0.1:${PORTS.chain}`,
    });
    if (!process.env.ENGINES_PORT_OFFSET) expect(PORTS).toMatchObject({ postgres: 15432, redis: 16379, kafka: 19092, opensearch: 19200, mongo: 17017, dynamodb: 18000, chain: 18545 });
    const env = engineEnv({ KAFKA_BROKERS: 'a:1, b:2', AWS_REGION: 'eu-west-1' });
    expect(env.KAFKA_BROKERS).toBe('a:1,b:2');
    expect(env.AWS_REGION).toBe('eu-west-1');
    expect(env.AWS_ACCESS_KEY_ID).toBeTruthy();
    expect(env.DYNAMODB_ENDPOINT).toBe(`http://127.0.0.1:${PORTS.dynamodb}`);
    expect(env.CHAIN_RPC_URL).toBe(`http://127.0.0.1:${PORTS.chain}`);
  });
});
