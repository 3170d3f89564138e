import { writeFileSync } from 'node:fs';
import { composeFromRoverConfig } from './compose-lib.ts';

/** npm run compose: rover.yaml → supergraph.graphql (and supergraph-api.graphql for client codegen). */
try {
  const { supergraphSdl, apiSdl, hints } = composeFromRoverConfig(process.argv[2] ?? 'rover.yaml');
  for (const hint of hints) console.log(`hint: ${hint}`);
  writeFileSync('supergraph.graphql', supergraphSdl);
  writeFileSync('supergraph-api.graphql', apiSdl);
  console.log(`composed supergraph.graphql (${supergraphSdl.length} bytes, ${hints.length} hints)`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
