import { readFileSync } from 'node:fs';
import { DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { type ArgumentNode, type GraphQLSchema, Kind, parse, print, visit } from 'graphql';

/**
 * The security features the router enforces itself (plugins/authorization-rules.ts). A supergraph
 * linking any other feature `for: SECURITY` (or another version of these) is refused at start:
 * a rule the router does not understand must not be silently ignored.
 */
export const ENFORCED_SECURITY_FEATURES: ReadonlySet<string> = new Set([
  'https://specs.apollo.dev/authenticated/v0.1',
  'https://specs.apollo.dev/requiresScopes/v0.1',
  'https://specs.apollo.dev/policy/v0.1',
]);

export interface LoadedSupergraph {
  sdl: string;
  /**
   * The SDL handed to @apollo/gateway: the same, with the enforced security features no longer
   * marked `for: SECURITY` (the gateway refuses any security feature, enforcing none).
   */
  gatewaySdl: string;
  /** The schema clients see (federation machinery removed). */
  apiSchema: GraphQLSchema;
  /** Subgraph name -> URL, after overrides. */
  urls: Map<string, string>;
  /** Subscription root field -> name of the subgraph that serves it. */
  subscriptionOwners: Map<string, string>;
}

export function loadSupergraph(path: string, overrides: Record<string, string>): LoadedSupergraph {
  return readSupergraph(readFileSync(path, 'utf8'), overrides);
}

export function readSupergraph(sdl: string, overrides: Record<string, string> = {}): LoadedSupergraph {
  const supergraph = Supergraph.build(sdl, {
    supportedFeatures: new Set([...DEFAULT_SUPPORTED_SUPERGRAPH_FEATURES, ...ENFORCED_SECURITY_FEATURES]),
  });
  const urls = new Map<string, string>();
  const subscriptionOwners = new Map<string, string>();
  for (const subgraph of supergraph.subgraphs()) {
    urls.set(subgraph.name, overrides[subgraph.name.toLowerCase()] ?? subgraph.url);
    const subscription = subgraph.schema.schemaDefinition.rootType('subscription');
    for (const field of subscription?.fields() ?? []) subscriptionOwners.set(field.name, subgraph.name);
  }
  return {
    sdl,
    gatewaySdl: withoutEnforcedSecurityPurpose(sdl),
    apiSchema: supergraph.apiSchema().toGraphQLJSSchema(),
    urls,
    subscriptionOwners,
  };
}

function withoutEnforcedSecurityPurpose(sdl: string): string {
  let changed = false;
  const document = visit(parse(sdl), {
    Directive(node) {
      if (node.name.value !== 'link') return undefined;
      const url = node.arguments?.find((arg) => arg.name.value === 'url')?.value;
      if (url?.kind !== Kind.STRING || !ENFORCED_SECURITY_FEATURES.has(url.value)) return undefined;
      const purpose = (arg: ArgumentNode) =>
        arg.name.value === 'for' && arg.value.kind === Kind.ENUM && arg.value.value === 'SECURITY';
      if (!node.arguments?.some(purpose)) return undefined;
      changed = true;
      return { ...node, arguments: node.arguments.filter((arg) => !purpose(arg)) };
    },
  });
  return changed ? print(document) : sdl;
}
