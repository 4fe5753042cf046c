import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperationTypeNode } from 'graphql';
import { rulesOf } from '../test-support.ts';
import { isPublicOperation, type PublicRootField } from './public-operations.ts';

const ROOTS: Record<string, string> = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
const listed =
  (...fields: string[]): PublicRootField =>
  (operation: OperationTypeNode, field: string) =>
    fields.includes(`${ROOTS[operation]}.${field}`);
const PUBLIC = listed('Mutation.login');
const isPublic = (query: unknown, operationName?: unknown, introspection = false): boolean =>
  isPublicOperation(query, operationName, PUBLIC, introspection);

const LOGIN = 'login(email: "a@b.c", password: "secret") { token }';

test('the login mutation is public', () => {
  assert.equal(isPublic(`mutation { ${LOGIN} }`), true);
  assert.equal(isPublic(`mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`), true);
  assert.equal(isPublic(`mutation Login { ${LOGIN} }`, 'Login'), true);
});

test('an aliased login is still login; another field aliased as login is not', () => {
  assert.equal(isPublic(`mutation { session: ${LOGIN} }`), true);
  assert.equal(isPublic('mutation { login: createStaff(name: "x") { id } }'), false);
});

test('a query of another field is not public', () => {
  assert.equal(isPublic('{ me { id } }'), false);
  assert.equal(isPublic('query { patients { id } }'), false);
  assert.equal(isPublic('mutation { registerPatient(input: {}) { id } }'), false);
});

test('a field named like a public one on another root type is not public', () => {
  assert.equal(isPublic(`query { ${LOGIN} }`), false);
  assert.equal(isPublic(`subscription { ${LOGIN} }`), false);
});

test('login mixed with any other root field is not public', () => {
  assert.equal(isPublic(`mutation { ${LOGIN} createStaff(name: "x") { id } }`), false);
  assert.equal(isPublic(`mutation { ${LOGIN} other: ${LOGIN} createStaff { id } }`), false);
  assert.equal(isPublic(`mutation { ${LOGIN} secret: createStaff @skip(if: true) { id } }`), false);
});

test('fragments are followed: login through a fragment is public, another field through one is not', () => {
  assert.equal(isPublic(`mutation { ...Auth } fragment Auth on Mutation { ${LOGIN} }`), true);
  assert.equal(isPublic(`mutation { ...Auth } fragment Auth on Mutation { ${LOGIN} createStaff { id } }`), false);
  assert.equal(
    isPublic(
      `mutation { ${LOGIN} ...Outer } fragment Outer on Mutation { ...Inner } fragment Inner on Mutation { createStaff { id } }`,
    ),
    false,
    'nested fragments are followed',
  );
  assert.equal(
    isPublic(`mutation { ...Auth ...Auth } fragment Auth on Mutation { ${LOGIN} }`),
    true,
    'a repeated spread',
  );
});

test('inline fragments are followed', () => {
  assert.equal(isPublic(`mutation { ... on Mutation { ${LOGIN} } }`), true);
  assert.equal(isPublic(`mutation { ... { ${LOGIN} } }`), true);
  assert.equal(isPublic(`mutation { ${LOGIN} ... on Mutation { createStaff { id } } }`), false);
  assert.equal(isPublic(`mutation { ... @include(if: true) { ... { createStaff { id } } } }`), false);
});

test('a spread of a fragment that is not defined is not public', () => {
  assert.equal(isPublic(`mutation { ${LOGIN} ...Missing }`), false);
});

test('cyclic fragments do not hang and are judged by their fields', () => {
  assert.equal(
    isPublic(
      `mutation { ...A } fragment A on Mutation { ${LOGIN} ...B } fragment B on Mutation { ...A createStaff { id } }`,
    ),
    false,
  );
  assert.equal(isPublic('mutation { ...A } fragment A on Mutation { ...A }'), false, 'no field at all');
});

test('with several operations, the named one is judged', () => {
  const document = `mutation Login { ${LOGIN} } query Me { me { id } }`;
  assert.equal(isPublic(document, 'Login'), true);
  assert.equal(isPublic(document, 'Me'), false);
  assert.equal(isPublic(document, 'Nope'), false, 'an unknown operation name');
  assert.equal(isPublic(document), false, 'no operation name: ambiguous');
  assert.equal(isPublic(document, null), false);
});

test('an operation name with a single anonymous operation matches nothing', () => {
  assert.equal(isPublic(`mutation { ${LOGIN} }`, 'Login'), false);
});

test('what cannot be parsed is not public', () => {
  assert.equal(isPublic('mutation { login('), false);
  assert.equal(isPublic(''), false);
  assert.equal(isPublic('fragment F on Mutation { login }'), false, 'no operation');
  assert.equal(isPublic(undefined), false);
  assert.equal(isPublic(42), false);
  assert.equal(isPublic({ query: `mutation { ${LOGIN} }` }), false);
  const huge = `mutation { ${Array.from({ length: 1000 }, (_, i) => `a${i}: ${LOGIN}`).join(' ')} }`;
  assert.equal(isPublic(huge), false, 'over the token limit');
});

test('introspection is public only when enabled', () => {
  for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Query") { name } }']) {
    assert.equal(isPublic(query, undefined, false), false, query);
    assert.equal(isPublic(query, undefined, true), true, query);
  }
  assert.equal(isPublic('{ __schema { types { name } } me { id } }', undefined, true), false, 'mixed with data');
});

test('__typename alone is public, and does not make other fields public', () => {
  assert.equal(isPublic('{ __typename }'), true);
  assert.equal(isPublic(`mutation { __typename ${LOGIN} }`), true);
  assert.equal(isPublic('{ __typename me { id } }'), false);
});

test('the predicate is what decides', () => {
  assert.equal(isPublicOperation('{ health }', undefined, listed('Query.health'), false), true);
  assert.equal(isPublicOperation(`mutation { ${LOGIN} }`, undefined, listed(), false), false);
});

test('the token limit is configurable', () => {
  const query = `mutation { ${LOGIN} }`;
  assert.equal(isPublicOperation(query, undefined, PUBLIC, false, 5), false);
  assert.equal(isPublicOperation(query, undefined, PUBLIC, false, 100), true);
});

test("with the schema's rules: public is what holds without a token", () => {
  const { rules } = rulesOf(`
    type Query {
      health: String @policy(policies: [["public"]])
      me: String @authenticated
      mixed: String @policy(policies: [["public"]]) @authenticated
      either: String @policy(policies: [["admin"], ["public"]])
      both: String @policy(policies: [["admin", "public"]])
      scoped: String @requiresScopes(scopes: [["read"]])
      bare: String
    }
    type Mutation { login(email: String!, password: String!): Session @policy(policies: [["public"]]) }
    type Session @policy(policies: [["public"]]) { token: String }
  `);
  const schemaPublic: PublicRootField = (operation, field) => rules.isPublicRootField(operation, field);
  const judge = (query: string) => isPublicOperation(query, undefined, schemaPublic, false);
  assert.equal(judge('{ health }'), true);
  assert.equal(judge('{ either }'), true, 'one alternative is public');
  assert.equal(judge(`mutation { ${LOGIN} }`), true);
  assert.equal(judge('{ health me }'), false);
  for (const field of ['me', 'mixed', 'both', 'scoped', 'bare']) assert.equal(judge(`{ ${field} }`), false, field);
  assert.equal(judge('{ login(email: "a", password: "b") { token } }'), false, 'a field of another root type');
});
