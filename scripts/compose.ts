// Composes the subgraphs listed in supergraph.yaml into schema/supergraph.graphql.
//   node scripts/compose.ts          write the supergraph
//   node scripts/compose.ts --check  fail when the committed supergraph is stale or composition fails
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SUPERGRAPH_FILE = resolve(ROOT, 'schema/supergraph.graphql');

interface SupergraphConfig {
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

export type Composition = { ok: true; supergraphSdl: string; hints: string[] } | { ok: false; errors: string[] };

export function composeSupergraph(configPath = resolve(ROOT, 'supergraph.yaml')): Composition {
  const config = parseYaml(readFileSync(configPath, 'utf8')) as SupergraphConfig;
  const services = Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: subgraph.routing_url,
    typeDefs: parse(readFileSync(resolve(dirname(configPath), subgraph.schema.file), 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors) return { ok: false, errors: result.errors.map((error) => error.message) };
  return {
    ok: true,
    supergraphSdl: `${result.supergraphSdl.trim()}\n`,
    hints: result.hints.map((hint) => hint.toString()),
  };
}

if (import.meta.main) {
  const composition = composeSupergraph();
  if (!composition.ok) {
    console.error(`composition failed:\n${composition.errors.map((e) => `  - ${e}`).join('\n')}`);
    process.exit(1);
  }
  for (const hint of composition.hints) console.warn(`hint: ${hint}`);
  if (process.argv.includes('--check')) {
    const committed = readFileSync(SUPERGRAPH_FILE, 'utf8');
    if (committed !== composition.supergraphSdl) {
      console.error('schema/supergraph.graphql is stale: run `npm run compose` and commit it');
      process.exit(1);
    }
    console.log('supergraph is up to date');
  } else {
    writeFileSync(SUPERGRAPH_FILE, composition.supergraphSdl);
    console.log(`wrote ${SUPERGRAPH_FILE}`);
  }
}
