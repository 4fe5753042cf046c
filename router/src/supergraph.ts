import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';

export interface LoadedSupergraph {
  sdl: string;
  /** The schema clients see (federation machinery removed). */
  apiSchema: GraphQLSchema;
  /** Subgraph name -> URL, after overrides. */
  urls: Map<string, string>;
  /** Subscription root field -> name of the subgraph that serves it. */
  subscriptionOwners: Map<string, string>;
}

export function loadSupergraph(path: string, overrides: Record<string, string>): LoadedSupergraph {
  const sdl = readFileSync(path, 'utf8');
  const supergraph = Supergraph.build(sdl);
  const urls = new Map<string, string>();
  const subscriptionOwners = new Map<string, string>();
  for (const subgraph of supergraph.subgraphs()) {
    urls.set(subgraph.name, overrides[subgraph.name.toLowerCase()] ?? subgraph.url);
    const subscription = subgraph.schema.schemaDefinition.rootType('subscription');
    for (const field of subscription?.fields() ?? []) subscriptionOwners.set(field.name, subgraph.name);
  }
  return { sdl, apiSchema: supergraph.apiSchema().toGraphQLJSSchema(), urls, subscriptionOwners };
}
