import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { readSupergraph } from '../supergraph.ts';
import { composeSupergraph, LINK } from '../test-support.ts';
import type { Principal } from './authentication.ts';
import { authorizationPlugin, type FieldRefusal } from './authorization-plugin.ts';
import { buildAccessRules } from './authorization-rules.ts';

const SDL = `
  type Query {
    catalog: [Item!]! @authenticated
    featured: Item @policy(policies: [["public"]])
    hidden: String @requiresScopes(scopes: [["admin"]])
  }
  type Item @authenticated {
    id: ID!
    title: String
    cost: Int @requiresScopes(scopes: [["cost:read"]])
    supplier: String! @requiresScopes(scopes: [["supplier:read"]])
  }
`;

interface Context {
  principal: Principal | null;
}

const principal = (...scopes: string[]): Principal => ({ subject: 's', claims: {}, scopes, expiresAt: 0 });

/** The operations the subgraph received, as sent by the gateway. */
const received: string[] = [];
let stopSubgraph: () => Promise<void>;
let server: ApolloServer<Context>;
const refusals: FieldRefusal[] = [];

before(async () => {
  const items = [
    { id: '1', title: 'Lamp', cost: 10, supplier: 'ACME' },
    { id: '2', title: 'Desk', cost: 90, supplier: 'Globex' },
  ];
  const subgraph = new ApolloServer({
    schema: buildSubgraphSchema([
      {
        typeDefs: parse(`${LINK}\n${SDL}`),
        resolvers: { Query: { catalog: () => items, featured: () => items[0], hidden: () => 'h' } },
      },
    ]),
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      {
        async requestDidStart({ request }) {
          if (request.query) received.push(request.query);
        },
      },
    ],
  });
  const { url } = await startStandaloneServer(subgraph, { listen: { port: 0, host: '127.0.0.1' } });
  stopSubgraph = () => subgraph.stop();
  const supergraph = readSupergraph(composeSupergraph([{ name: 'items', sdl: SDL, url }]));
  const rules = buildAccessRules(supergraph.sdl, supergraph.apiSchema, { defaultRule: 'deny', introspection: false });
  server = new ApolloServer<Context>({
    gateway: new ApolloGateway({ supergraphSdl: supergraph.gatewaySdl }),
    plugins: [
      authorizationPlugin<Context>({
        rules,
        principalOf: (context) => context.principal,
        onRefused: (_context, refusal) => refusals.push(refusal),
      }),
    ],
  });
  await server.start();
});

after(async () => {
  await server?.stop();
  await stopSubgraph?.();
});

async function run(query: string, who: Principal | null, operationName?: string) {
  received.length = 0;
  refusals.length = 0;
  const response = await server.executeOperation({ query, operationName }, { contextValue: { principal: who } });
  assert.equal(response.body.kind, 'single');
  // Plain objects (the gateway builds null-prototype ones), as a client would read them.
  const result = response.body.kind === 'single' ? response.body.singleResult : {};
  return JSON.parse(JSON.stringify(result)) as typeof result;
}

test('the gateway executes the rewritten document: the subgraph never sees a refused field', async () => {
  const result = await run('query Items { catalog { id title cost } }', principal());
  assert.deepEqual(result.data, {
    catalog: [
      { id: '1', title: 'Lamp', cost: null },
      { id: '2', title: 'Desk', cost: null },
    ],
  });
  assert.deepEqual(result.errors, [
    { message: 'Unauthorized field or type', path: ['catalog', '@', 'cost'], extensions: { code: 'FORBIDDEN' } },
  ]);
  assert.equal(received.length, 1);
  assert.match(received[0] ?? '', /title/);
  assert.doesNotMatch(received[0] ?? '', /cost/);
  assert.deepEqual(refusals, [{ operationName: 'Items', fields: ['Item.cost'], reason: 'Unauthorized field or type' }]);
});

test('the same operation for a caller with the scope is executed in full', async () => {
  const result = await run('query Items { catalog { id title cost } }', principal('cost:read'));
  assert.deepEqual(result, {
    data: {
      catalog: [
        { id: '1', title: 'Lamp', cost: 10 },
        { id: '2', title: 'Desk', cost: 90 },
      ],
    },
  });
  assert.match(received[0] ?? '', /cost/, 'not the plan cached for the previous caller');
  assert.deepEqual(refusals, []);
});

test('null propagation through the gateway: a refused non-null field nulls what holds it', async () => {
  const result = await run('{ featured { title supplier } catalog { id } }', principal());
  assert.deepEqual(result.data, { featured: null, catalog: [{ id: '1' }, { id: '2' }] });
  assert.deepEqual(
    result.errors?.map((e) => e.path),
    [['featured', 'supplier']],
  );
});

test("no token: UNAUTHENTICATED for what needs one; the return type's rule applies to a public field", async () => {
  const result = await run('{ featured { __typename } hidden }', null);
  assert.deepEqual(result.data, { featured: null, hidden: null }, 'Item is @authenticated');
  assert.deepEqual(result.errors, [
    { message: 'Unauthorized field or type', path: ['featured'], extensions: { code: 'UNAUTHENTICATED' } },
    { message: 'Unauthorized field or type', path: ['hidden'], extensions: { code: 'UNAUTHENTICATED' } },
  ]);
  const signedIn = await run('{ featured { __typename } }', principal());
  assert.deepEqual(signedIn, { data: { featured: { __typename: 'Item' } } });
});

test('nothing left: answered without calling the subgraph', async () => {
  const result = await run('{ hidden }', principal());
  assert.deepEqual(result.data, { hidden: null });
  assert.equal(result.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  assert.deepEqual(received, []);
});
