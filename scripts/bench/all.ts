/**
 * `npm run bench`: runs every benchmark on the engines, one after the other, and writes
 * bench-results/summary.json. Each benchmark measures its own reference in the same run
 * (pg_tps for the saga, the general two-round-trip steps for the one-round-trip ones, raw OpenSearch latency for search, a bare node:http server for the
 * local gateway) so results read as ratios,
 * not as absolute numbers that depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../..');
const benches = [
  { name: 'saga', script: 'bench:saga' },
  { name: 'steps', script: 'bench:steps' },
  { name: 'search', script: 'bench:search' },
  { name: 'runtime', script: 'bench:runtime' },
] as const;

function lastJsonLine(out: string): Record<string, number> {
  const lines = out.trim().split('\n').reverse();
  for (const l of lines) {
    const t = l.trim();
    if (t.startsWith('{') && t.endsWith('}')) return JSON.parse(t) as Record<string, number>;
  }
  throw new Error('benchmark printed no JSON result line');
}

const summary: Record<string, unknown> = { at: new Date().toISOString() };
let failed = false;
for (const b of benches) {
  process.stderr.write(`\n== ${b.name} ==\n`);
  const r = spawnSync('npm', ['run', '--silent', b.script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  process.stderr.write(r.stdout ?? '');
  if (r.status !== 0) {
    failed = true;
    summary[b.name] = { error: `exit ${r.status}` };
    continue;
  }
  const res = lastJsonLine(r.stdout);
  const ratios: Record<string, number> = {};
  if (b.name === 'saga' && res.pg_tps && res.orders_per_s) ratios.orders_per_s_vs_pg_tps_over_6 = +(res.orders_per_s / (res.pg_tps / 6)).toFixed(3);
  if (b.name === 'saga' && res.direct_orders_per_s && res.orders_per_s) ratios.orders_per_s_vs_direct = +(res.orders_per_s / res.direct_orders_per_s).toFixed(3);
  if (b.name === 'steps') {
    const r = res as unknown as Record<'local' | 'network', { one_round_trip_vs_two: number }>;
    ratios.local_one_round_trip_vs_two = r.local.one_round_trip_vs_two;
    ratios.network_one_round_trip_vs_two = r.network.one_round_trip_vs_two;
  }
  if (b.name === 'search' && res.raw_p99_ms && res.search_p99_ms) ratios.search_p99_vs_raw_p99 = +(res.search_p99_ms / res.raw_p99_ms).toFixed(3);
  if (b.name === 'runtime' && res.gateway_rps && res.http_bare_rps) ratios.gateway_vs_bare_http_rps = +(res.gateway_rps / res.http_bare_rps).toFixed(3);
  summary[b.name] = { ...res, ratios };
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results/summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary));
process.exit(failed ? 1 : 0);
