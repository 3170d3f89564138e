import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts, startChildMesh } from '../test/long/child-mesh.ts';
import { describeLoad, loadPrincipals, runLoad, type LoadResult } from '../test/long/load-driver.ts';

/**
 * Load ceiling: `node bench/load.bench.ts [seconds-per-step]`. Starts the mesh as its own process
 * (`node main.ts`, embedded engines, default limits), spreads an open-loop widget mix over 20
 * principals in 5 organizations, and raises the offered rate step by step from the spec's floor
 * (10,000/min) until a step has errors or p99 ≥ 500 ms. Prints a markdown table; the ceiling is the
 * last step that met both.
 */

const STEP_SECONDS = Number(process.argv[2] ?? 15);
const STEPS = [10_000, 15_000, 20_000, 30_000, 40_000, 60_000, 80_000];

const dataDir = await mkdtemp(path.join(tmpdir(), 'mesh-load-bench-'));
// Capacity, not policy: the per-address limit (20,000/min by default) would otherwise be the ceiling,
// since all load comes from 127.0.0.1. The limiter still runs on every request.
const mesh = await startChildMesh(dataDir, await freePorts(), { MESH_RATE_IP_PER_MIN: '10000000', MESH_RATE_TENANT_PER_MIN: '10000000', MESH_RATE_PRINCIPAL_PER_MIN: '10000000' });
try {
  const principals = await loadPrincipals(mesh.url, 5, 4);
  await runLoad(mesh.url, principals, 3000, 5);
  const results: LoadResult[] = [];
  for (const perMinute of STEPS) {
    const result = await runLoad(mesh.url, principals, perMinute, STEP_SECONDS);
    results.push(result);
    console.error(describeLoad(result));
    if (result.errors.length || result.p99 >= 500) break;
  }
  const ceiling = results.filter((r) => !r.errors.length && r.p99 < 500).at(-1);
  console.log(`\n| offered /min | sent | errors | achieved req/s | p50 ms | p95 ms | p99 ms |\n|---:|---:|---:|---:|---:|---:|---:|`);
  for (const r of results) console.log(`| ${r.targetPerMinute} | ${r.sent} | ${r.errors.length} | ${r.achievedPerSecond.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} |`);
  const lastErrors = results.at(-1)?.errors ?? [];
  if (lastErrors.length) console.log(`\nErrors of the last step (first 3 of ${lastErrors.length}): ${lastErrors.slice(0, 3).join(' · ')}`);
  console.log(`\nCeiling (no errors, p99 < 500 ms): ${ceiling ? `${ceiling.targetPerMinute}/min` : 'below 10,000/min'}; ${STEP_SECONDS} s per step, ${new Date().toISOString()}.`);
} finally {
  await mesh.stop();
  await rm(dataDir, { recursive: true, force: true });
}
