import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(120000);

const root = path.resolve(__dirname, '../../..');

describe('npm start (local/start.ts)', () => {
  it('prints where everything is, serves on the Lambda runtime\'s Node.js, and exits 0 on SIGTERM', async () => {
    // What `npm start` runs: the launcher, which runs local/start.ts on Node.js 24 (nodejs24.x).
    const child = spawn(process.execPath, ['scripts/lambda-node.js', 'local/start.ts'], {
      cwd: root,
      env: { ...process.env, SKIP_ENGINES: '1', PORT: '0', AWS_PORT: '0', LOCAL_COMPONENTS: 'gateway,aws-endpoint', LOCAL_RUNTIME_LOG_LEVEL: 'WARN' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const deadline = Date.now() + 90000;
    while (!/shop is running/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toMatch(/migrations: /);
    const url = /API gateway\s+(http:\/\/\S+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect(out).toMatch(/PostgreSQL\s+postgres:\/\//);
    expect(out).toMatch(/Kafka\s+\S+:\d+/);
    expect(out).toMatch(/Node\.js\s+24\.\d+\.\d+ \(as the Lambdas: nodejs24\.x\)/);
    expect((await fetch(`${url}/health`)).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^SIGTERM: stopping\.\.\.$[\s\S]*^stopped\.$/m); // other lines may come between
  });
});
