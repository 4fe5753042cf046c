// Helpers for the router's tests: small supergraphs composed from inline SDL, as composition
// would carry the security directives of real subgraphs.
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { type AccessRules, buildAccessRules, type Caller, type DefaultRule } from './plugins/authorization-rules.ts';
import { type LoadedSupergraph, readSupergraph } from './supergraph.ts';

export const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@policy"])';

export interface TestSubgraph {
  name: string;
  /** SDL without the `@link` header, which is added. */
  sdl: string;
  url?: string;
}

export function composeSupergraph(subgraphs: TestSubgraph[]): string {
  const result = composeServices(
    subgraphs.map(({ name, sdl, url }) => ({
      name,
      url: url ?? `http://127.0.0.1:1/${name}`,
      typeDefs: parse(`${LINK}\n${sdl}`),
    })),
  );
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

export interface TestRules {
  supergraph: LoadedSupergraph;
  rules: AccessRules;
}

export function rulesOf(
  subgraphs: TestSubgraph[] | string,
  options: { defaultRule?: DefaultRule; introspection?: boolean } = {},
): TestRules {
  const sdl =
    typeof subgraphs === 'string'
      ? composeSupergraph([{ name: 'main', sdl: subgraphs }])
      : composeSupergraph(subgraphs);
  const supergraph = readSupergraph(sdl);
  return {
    supergraph,
    rules: buildAccessRules(sdl, supergraph.apiSchema, {
      defaultRule: options.defaultRule ?? 'deny',
      introspection: options.introspection ?? false,
    }),
  };
}

export const caller = (...scopes: string[]): Caller => ({ authenticated: true, scopes: new Set(scopes) });

/** A supergraph exercising every kind of rule: type and field rules, lists, an interface, a union. */
export const AUTHZ_SDL = `
  type Query {
    me: User @authenticated
    users: [User!]! @authenticated
    grid: [[User]] @authenticated
    search: [Result!]! @authenticated
    nodes: [Node] @authenticated
    secret: String! @requiresScopes(scopes: [["secret"]])
    hint: String @requiresScopes(scopes: [["secret"]])
    open: String @policy(policies: [["public"]])
  }
  interface Node { id: ID! }
  union Result = User | Doc
  type User implements Node @key(fields: "id") @authenticated {
    id: ID!
    name: String
    email: String @requiresScopes(scopes: [["email"]])
    ssn: String! @requiresScopes(scopes: [["ssn"]])
    friends: [User!]
  }
  type Doc implements Node @authenticated {
    id: ID!
    title: String
    body: String! @requiresScopes(scopes: [["doc"]])
  }
`;
