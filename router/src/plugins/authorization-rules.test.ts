import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApolloGateway } from '@apollo/gateway';
import { printSchema } from 'graphql';
import { readSupergraph } from '../supergraph.ts';
import { caller, composeSupergraph, rulesOf } from '../test-support.ts';
import { ANONYMOUS, buildAccessRules, satisfies } from './authorization-rules.ts';

const SDL = `
  type Query {
    open: String @policy(policies: [["public"]])
    me: User @authenticated
    scoped: String @requiresScopes(scopes: [["a", "b"], ["c"]])
    secret: Secret @authenticated
    bare: String
    nodes: [Node!]! @authenticated
    price: Money @authenticated
    color: Color @authenticated
    both: String @authenticated @requiresScopes(scopes: [["x"]])
    anyPolicy: String @policy(policies: [["admin"], ["public"]])
    allPolicies: String @policy(policies: [["admin", "public"]])
    admin: String @policy(policies: [["admin"]])
  }
  interface Node { id: ID! }
  type User implements Node @key(fields: "id") @authenticated {
    id: ID!
    name: String @requiresScopes(scopes: [["user:read"]])
  }
  type Doc implements Node @requiresScopes(scopes: [["doc"]]) { id: ID! title: String }
  type Secret @policy(policies: [["admin"]]) { value: String }
  scalar Money @requiresScopes(scopes: [["money"]])
  enum Color @authenticated { RED }
`;
const { rules } = rulesOf(SDL);
const allowed = (coordinate: string, who = ANONYMOUS): boolean => {
  const [type, field] = coordinate.split('.') as [string, string];
  return rules.allows(type, field, who);
};

test('@authenticated: any verified token, whatever its scopes', () => {
  assert.equal(allowed('Query.me'), false);
  assert.equal(allowed('Query.me', caller()), true);
  assert.equal(allowed('Query.me', caller('anything')), true);
});

test('@requiresScopes: alternatives are OR, scopes within one are AND', () => {
  assert.equal(allowed('Query.scoped', caller('a', 'b')), true);
  assert.equal(allowed('Query.scoped', caller('c')), true);
  assert.equal(allowed('Query.scoped', caller('a', 'b', 'c', 'z')), true);
  assert.equal(allowed('Query.scoped', caller('a')), false, 'a without b');
  assert.equal(allowed('Query.scoped', caller('b')), false);
  assert.equal(allowed('Query.scoped', caller()), false, 'no scope');
  assert.equal(allowed('Query.scoped', { authenticated: false, scopes: new Set(['c']) }), false, 'scopes need a token');
});

test('several directives on one field must all hold', () => {
  assert.equal(allowed('Query.both', caller()), false);
  assert.equal(allowed('Query.both', caller('x')), true);
});

test('@policy: "public" always holds, also without a token; any other policy never does', () => {
  assert.equal(allowed('Query.open'), true);
  assert.equal(allowed('Query.open', caller()), true);
  assert.equal(allowed('Query.anyPolicy'), true, 'public is one alternative');
  assert.equal(allowed('Query.allPolicies', caller('admin')), false, 'public AND admin');
  assert.equal(allowed('Query.admin', caller('admin')), false, 'a policy is not a scope');
});

test("a type's rules apply to the fields returning it and to its own fields", () => {
  assert.equal(allowed('Query.secret', caller()), false, 'Secret carries @policy admin');
  assert.equal(allowed('Secret.value', caller()), false);
  assert.equal(allowed('User.id'), false, 'User is @authenticated');
  assert.equal(allowed('User.id', caller()), true);
  assert.equal(allowed('User.name', caller()), false, 'its own scope as well');
  assert.equal(allowed('User.name', caller('user:read')), true);
  assert.equal(allowed('Doc.title', caller()), false);
  assert.equal(allowed('Doc.title', caller('doc')), true);
});

test('scalar and enum rules apply to the fields returning them', () => {
  assert.equal(allowed('Query.price', caller()), false);
  assert.equal(allowed('Query.price', caller('money')), true);
  assert.equal(allowed('Query.color'), false);
  assert.equal(allowed('Query.color', caller()), true);
});

test('an interface field requires what every implementation requires', () => {
  assert.deepEqual(rules.requirement('Node', 'id'), [{ kind: 'authenticated' }, { kind: 'scopes', anyOf: [['doc']] }]);
  assert.equal(allowed('Node.id', caller()), false, 'Doc.id needs "doc"');
  assert.equal(allowed('Node.id', caller('doc')), true);
});

test('deny by default: a field with no rule on it, its type or its parent is refused; allow when configured', () => {
  assert.equal(allowed('Query.bare', caller('a', 'b', 'c')), false);
  assert.deepEqual(rules.requirement('Query', 'bare'), [{ kind: 'deny', reason: 'no rule' }]);
  const open = rulesOf(SDL, { defaultRule: 'allow' }).rules;
  assert.equal(open.allows('Query', 'bare', ANONYMOUS), true);
  assert.equal(open.allows('Query', 'me', ANONYMOUS), false, 'declared rules still hold');
});

test('an interface with an implementation without rules is refused by default', () => {
  const { rules: loose } = rulesOf(`
    type Query { nodes: [Node] @authenticated }
    interface Node { id: ID! }
    type Ruled implements Node @authenticated { id: ID! }
    type Loose implements Node { id: ID! }
  `);
  assert.equal(loose.allows('Node', 'id', caller('everything')), false);
  assert.equal(loose.allows('Ruled', 'id', caller()), true);
});

test('__typename is always allowed; __schema and __type only with introspection', () => {
  assert.equal(allowed('Query.__typename'), true);
  assert.equal(allowed('Secret.__typename'), true);
  assert.equal(allowed('Query.__schema', caller()), false);
  assert.equal(allowed('Query.__type', caller()), false);
  const introspective = rulesOf(SDL, { introspection: true }).rules;
  assert.equal(introspective.allows('Query', '__schema', ANONYMOUS), true);
  assert.equal(introspective.allows('__Type', 'fields', ANONYMOUS), true);
});

test('unknown types and fields are refused', () => {
  assert.equal(allowed('Nope.id', caller()), false);
  assert.equal(allowed('Query.nope', caller()), false);
});

test('public root fields are those whose rules hold without a token', () => {
  assert.equal(rules.isPublicRootField('query', 'open'), true);
  assert.equal(rules.isPublicRootField('query', '__typename'), true);
  assert.equal(rules.isPublicRootField('query', 'me'), false);
  assert.equal(rules.isPublicRootField('query', 'bare'), false);
  assert.equal(rules.isPublicRootField('mutation', 'open'), false, 'no Mutation type');
});

test('rules from several subgraphs meet in the supergraph', () => {
  const { rules: merged } = rulesOf([
    {
      name: 'one',
      sdl: 'type Query { a: String @authenticated } type T @key(fields: "id") { id: ID! @authenticated }',
    },
    {
      name: 'two',
      sdl: 'type Query { b: T @requiresScopes(scopes: [["t"]]) } type T @key(fields: "id") { id: ID! @authenticated extra: String @requiresScopes(scopes: [["x"]]) }',
    },
  ]);
  assert.equal(merged.allows('Query', 'a', caller()), true);
  assert.equal(merged.allows('Query', 'b', caller()), false);
  assert.equal(merged.allows('Query', 'b', caller('t')), true);
  assert.equal(merged.allows('T', 'extra', caller('t')), false);
  assert.equal(merged.allows('T', 'extra', caller('x')), true);
});

test('directives renamed by their @link are recognised', () => {
  const sdl = composeSupergraph([{ name: 'main', sdl: 'type Query { me: String @requiresScopes(scopes: [["me"]]) }' }])
    .replace(
      '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
      '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "needs", for: SECURITY)',
    )
    .replaceAll('@requiresScopes(', '@needs(')
    .replaceAll('requiresScopes__Scope', 'needs__Scope');
  const supergraph = readSupergraph(sdl);
  const renamed = buildAccessRules(sdl, supergraph.apiSchema, { defaultRule: 'deny', introspection: false });
  assert.equal(renamed.allows('Query', 'me', caller()), false);
  assert.equal(renamed.allows('Query', 'me', caller('me')), true);
});

test('satisfies: no clause is open to anyone', () => {
  assert.equal(satisfies([], ANONYMOUS), true);
  assert.equal(satisfies([{ kind: 'deny', reason: 'no rule' }], caller('all')), false);
});

test('the gateway gets the supergraph without the security purpose it cannot enforce', async () => {
  const sdl = composeSupergraph([{ name: 'main', sdl: SDL }]);
  assert.match(sdl, /requiresScopes\/v0\.1", for: SECURITY/);
  const supergraph = readSupergraph(sdl);
  assert.doesNotMatch(supergraph.gatewaySdl, /for: SECURITY/);
  assert.match(supergraph.gatewaySdl, /@requiresScopes\(scopes: \[\["a", "b"\], \["c"\]\]\)/, 'directives kept');
  const gateway = new ApolloGateway({ supergraphSdl: supergraph.gatewaySdl });
  const { schema } = await gateway.load();
  assert.equal(printSchema(schema), printSchema(supergraph.apiSchema), 'the same API schema');
  await gateway.stop();
});

test('a security feature the router does not enforce stops it at start', () => {
  const sdl = composeSupergraph([{ name: 'main', sdl: 'type Query { me: String @authenticated }' }]).replace(
    'authenticated/v0.1", for: SECURITY',
    'authenticated/v0.2", for: SECURITY',
  );
  assert.throws(() => readSupergraph(sdl), /is for: SECURITY but is unsupported/);
});
