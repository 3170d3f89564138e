import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { parse, buildSchema } from 'graphql';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { composeFromRoverConfig } from './compose-lib.ts';
import { typesWithoutProvenance, undocumented } from './schema-check-lib.ts';

/**
 * npm run schema:check — fails when:
 * 1. supergraph.graphql (or supergraph-api.graphql) is stale against rover.yaml;
 * 2. generated code is stale (codegen is re-run; changed files are reported);
 * 3. an object type lacks `provenance: Provenance!`, or a subgraph SDL element lacks a docstring;
 * 4. the API schema has breaking changes against the base commit (SCHEMA_BASE, default HEAD~1)
 *    not listed in schema-breaking-ack.txt (one change message per line).
 */
const failures: string[] = [];

const composed = composeFromRoverConfig('rover.yaml');
if (!existsSync('supergraph.graphql') || readFileSync('supergraph.graphql', 'utf8') !== composed.supergraphSdl) failures.push('supergraph.graphql is stale: run `npm run compose` and commit it.');
if (!existsSync('supergraph-api.graphql') || readFileSync('supergraph-api.graphql', 'utf8') !== composed.apiSdl) failures.push('supergraph-api.graphql is stale: run `npm run compose` and commit it.');

const missingProvenance = typesWithoutProvenance(composed.supergraphSdl);
if (missingProvenance.length) failures.push(`Object types without provenance: ${missingProvenance.join(', ')}`);

for (const name of readdirSync('subgraphs')) {
  const file = `subgraphs/${name}/schema.graphql`;
  if (!existsSync(file)) continue;
  const missing = undocumented(parse(readFileSync(file, 'utf8')));
  if (missing.length) failures.push(`${file}: missing docstrings on ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ` and ${missing.length - 20} more` : ''}`);
}

const generatedFiles = (): Map<string, string> => {
  const files = new Map<string, string>();
  for (const dir of ['subgraphs', 'examples/operations']) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
      if (entry.includes('__generated__') && entry.endsWith('.ts')) files.set(`${dir}/${entry}`, readFileSync(`${dir}/${entry}`, 'utf8'));
    }
  }
  return files;
};
const before = generatedFiles();
execFileSync(process.execPath, ['node_modules/@graphql-codegen/cli/cjs/bin.js', '--config', 'codegen.ts', '--silent'], { stdio: 'inherit' });
const after = generatedFiles();
const stale = [...after.keys()].filter((file) => before.get(file) !== after.get(file));
if (stale.length) failures.push(`Generated code was stale (now regenerated, commit it): ${stale.join(', ')}`);

const base = process.env.SCHEMA_BASE ?? 'HEAD~1';
let baseApi: string | null = null;
try {
  baseApi = execFileSync('git', ['show', `${base}:supergraph-api.graphql`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
} catch {
  console.log(`schema:check: no supergraph-api.graphql at ${base}; breaking-change check skipped.`);
}
if (baseApi) {
  const acknowledged = existsSync('schema-breaking-ack.txt') ? new Set(readFileSync('schema-breaking-ack.txt', 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)) : new Set<string>();
  const changes = await diff(buildSchema(baseApi), buildSchema(composed.apiSdl));
  const breaking = changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking);
  const unacknowledged = breaking.filter((c) => !acknowledged.has(c.message));
  for (const change of breaking) console.log(`${acknowledged.has(change.message) ? 'acknowledged' : 'BREAKING'}: ${change.message}`);
  if (unacknowledged.length) failures.push(`${unacknowledged.length} breaking change(s) against ${base}; fix them or add their messages to schema-breaking-ack.txt.`);
  console.log(`schema:check: ${changes.length} change(s) against ${base}, ${breaking.length} breaking.`);
}

if (failures.length) {
  for (const failure of failures) console.error(`✗ ${failure}`);
  process.exit(1);
}
console.log('schema:check: supergraph fresh, generated code fresh, provenance on every type, docstrings complete.');
