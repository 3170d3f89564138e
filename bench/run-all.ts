/**
 * `npm run bench`: every benchmark in turn, each in its own process, output passed through.
 *   BENCH_QUICK=1 npm run bench     short runs for a quick check (a minute or two)
 *   BENCH_ONLY=gateways,ingest      a subset (gateways, n-plus-one, ingest, subscriptions, impact-ingest, governance, load)
 * Each benchmark prints its markdown table and writes bench/results/<name>-<date>.md.
 */
import { spawn } from 'node:child_process';
import { NODE, QUICK, ROOT } from './lib.ts';

const BENCHES: Array<{ name: string; file: string; quickEnv: Record<string, string>; args?: { full: string[]; quick: string[] } }> = [
  { name: 'gateways', file: 'bench/gateways.bench.ts', quickEnv: {} },
  { name: 'n-plus-one', file: 'bench/n-plus-one.bench.ts', quickEnv: {} },
  { name: 'ingest', file: 'bench/ingest.bench.ts', quickEnv: {} },
  // Owned by the subscriptions work (issue 4); run as is, shortened in quick mode.
  { name: 'subscriptions', file: 'bench/subscriptions.bench.ts', quickEnv: { BENCH_SUBSCRIBERS: '100', BENCH_RATE: '20', BENCH_SECONDS: '3' } },
  // Issue 6: record-to-queryable latency of impact events (quick mode: 5 events/s for 5 s, prints only).
  { name: 'impact-ingest', file: 'bench/impact-ingest.bench.ts', quickEnv: {} },
  // Issue 7: governed chat latency per turn, single and four agents.
  { name: 'governance', file: 'bench/governance.bench.ts', quickEnv: { BENCH_TURNS: '8' } },
  // Issue 5: the load ceiling, stepping the request rate up from the spec's 10,000/min (seconds per step).
  { name: 'load', file: 'bench/load.bench.ts', quickEnv: {}, args: { full: ['15'], quick: ['3'] } },
];
const only = process.env.BENCH_ONLY?.split(',');
const failed: string[] = [];
for (const bench of BENCHES.filter((b) => !only || only.includes(b.name))) {
  console.log(`\n=== ${bench.name} (${bench.file})${QUICK ? ', quick' : ''}\n`);
  const started = performance.now();
  const code = await new Promise<number>((resolve) => {
    const args = bench.args ? (QUICK ? bench.args.quick : bench.args.full) : [];
    const child = spawn(NODE, ['--expose-gc', bench.file, ...args], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...(QUICK ? bench.quickEnv : {}) } });
    child.on('exit', (status) => resolve(status ?? 1));
  });
  console.log(`=== ${bench.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (code !== 0) failed.push(bench.name);
}
if (failed.length) {
  console.error(`\nFailed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log('\nAll benchmarks done; results in bench/results/.');
