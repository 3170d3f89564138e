import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema, buildASTSchema } from 'graphql';
import YAML from 'yaml';

interface RoverConfig {
  federation_version?: string;
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

export interface Composed {
  supergraphSdl: string;
  /** The client-facing API schema (no join__/link__ machinery), for codegen of operations. */
  apiSdl: string;
  hints: string[];
}

/** Reads rover.yaml and composes it with @apollo/composition; `only` limits to some subgraphs (for tests). */
export const composeFromRoverConfig = (configPath = 'rover.yaml', only?: readonly string[]): Composed => {
  const config = YAML.parse(readFileSync(configPath, 'utf8')) as RoverConfig;
  const base = path.dirname(path.resolve(configPath));
  const services = Object.entries(config.subgraphs)
    .filter(([name, entry]) => (!only || only.includes(name)) && existsSync(path.resolve(base, entry.schema.file)))
    .map(([name, entry]) => ({ name, url: entry.routing_url, typeDefs: parse(readFileSync(path.resolve(base, entry.schema.file), 'utf8')) }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  const apiSdl = printSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  buildASTSchema(parse(result.supergraphSdl), { assumeValidSDL: true });
  return { supergraphSdl: `${result.supergraphSdl.trim()}\n`, apiSdl: `${apiSdl.trim()}\n`, hints: result.hints.map((h) => `${h.definition.code}: ${h.message}`) };
};
