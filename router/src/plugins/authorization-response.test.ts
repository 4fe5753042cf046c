import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execute, parse, validate } from 'graphql';
import { AUTHZ_SDL, caller, rulesOf } from '../test-support.ts';
import { authorizeOperation } from './authorization.ts';
import { shapeData } from './authorization-response.ts';
import type { Caller } from './authorization-rules.ts';

const { rules } = rulesOf(AUTHZ_SDL);

const ada = { __typename: 'User', id: 'u1', name: 'Ada', email: 'ada@x', ssn: '1', friends: [] };
const bob = { __typename: 'User', id: 'u2', name: 'Bob', email: 'bob@x', ssn: '2', friends: [ada] };
const doc = { __typename: 'Doc', id: 'd1', title: 'Plan', body: 'secret plan' };
/** What the subgraphs hold, served by plain execution of the rewritten document (as the gateway would). */
const ROOT = {
  me: bob,
  users: [ada, bob],
  grid: [[ada, null], [bob]],
  search: [ada, doc, bob],
  nodes: [doc, ada],
  secret: 's3cr3t',
  hint: 'h',
  open: 'hello',
};

/** Authorizes, executes what is left, shapes the response: the router's pipeline without HTTP. */
function run(query: string, who: Caller, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  assert.deepEqual(validate(rules.schema, document), []);
  const authorization = authorizeOperation(rules, document, undefined, who);
  const executed = authorization.empty
    ? { data: {} }
    : execute({ schema: rules.schema, document: authorization.document, rootValue: ROOT, variableValues: variables });
  const result = executed as { data?: Record<string, unknown> | null; errors?: unknown[] };
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  const data = shapeData(result.data ?? null, { schema: rules.schema, document, variables, authorization });
  return { data, refused: authorization.refused };
}

test('a refused nullable field is null; the rest is there, in the order asked', () => {
  const { data } = run('{ me { email name id } }', caller());
  assert.deepEqual(data, { me: { email: null, name: 'Bob', id: 'u2' } });
  assert.deepEqual(Object.keys((data as { me: object }).me), ['email', 'name', 'id']);
});

test('what the caller may see comes back unchanged', () => {
  const { data, refused } = run('{ me { email name } }', caller('email'));
  assert.deepEqual(refused, []);
  assert.deepEqual(data, { me: { email: 'bob@x', name: 'Bob' } });
});

test('lists: the refused field is null in every item, at every level', () => {
  assert.deepEqual(run('{ users { name email } }', caller()).data, {
    users: [
      { name: 'Ada', email: null },
      { name: 'Bob', email: null },
    ],
  });
  assert.deepEqual(run('{ grid { email id } }', caller()).data, {
    grid: [[{ email: null, id: 'u1' }, null], [{ email: null, id: 'u2' }]],
  });
  assert.deepEqual(run('{ users { friends { email } } }', caller()).data, {
    users: [{ friends: [] }, { friends: [{ email: null }] }],
  });
});

test('a refused non-null field nulls its nearest nullable ancestor', () => {
  // User.ssn is String!; me is nullable: me becomes null.
  assert.deepEqual(run('{ me { name ssn } open }', caller()).data, { me: null, open: 'hello' });
  // users is [User!]!: the item cannot be null, nor the list, so data itself becomes null.
  assert.deepEqual(run('{ users { ssn } open }', caller()).data, null);
  // grid is [[User]]: the inner items are nullable.
  assert.deepEqual(run('{ grid { ssn } }', caller()).data, { grid: [[null, null], [null]] });
  // friends is [User!]: the list is nullable.
  assert.deepEqual(run('{ me { name friends { ssn } } }', caller()).data, { me: { name: 'Bob', friends: null } });
});

test('a refused non-null root field nulls data', () => {
  assert.deepEqual(run('{ secret open }', caller()).data, null);
  assert.deepEqual(run('{ hint open }', caller()).data, { hint: null, open: 'hello' });
});

test('nothing left to execute: nullable root fields are null, non-null ones null data', () => {
  assert.deepEqual(run('{ hint me { id } }', { authenticated: false, scopes: new Set() }).data, {
    hint: null,
    me: null,
  });
  assert.deepEqual(run('{ hint secret }', caller()).data, null);
});

test('abstract types: only the items of the type whose field is refused get the null', () => {
  const { data } = run('{ search { ... on User { id email } ... on Doc { title body } } }', caller('doc'));
  assert.deepEqual(data, {
    search: [
      { id: 'u1', email: null },
      { title: 'Plan', body: 'secret plan' },
      { id: 'u2', email: null },
    ],
  });
  // Doc.body is String! and search is [Result!]!: without "doc", nothing of search can stand.
  assert.equal(run('{ search { ... on User { id email } ... on Doc { title body } } }', caller()).data, null);
});

test('abstract types: a non-null refused field nulls only the items of its type', () => {
  const { data } = run('{ nodes { id ... on Doc { body } } }', caller());
  assert.deepEqual(data, { nodes: [null, { id: 'u1' }] }, 'Doc.body is String!, items of [Node] are nullable');
});

test('the keys the rewrite added never reach the client', () => {
  const { data } = run('{ me { email } nodes { __typename id } }', caller());
  assert.deepEqual(data, {
    me: { email: null },
    nodes: [
      { __typename: 'Doc', id: 'd1' },
      { __typename: 'User', id: 'u1' },
    ],
  });
});

test('aliases and fragments: nulls at the response keys the client chose', () => {
  const { data } = run(
    '{ who: me { ...U mail: email } everyone: users { ...U } } fragment U on User { id address: email }',
    caller(),
  );
  assert.deepEqual(data, {
    who: { id: 'u2', address: null, mail: null },
    everyone: [
      { id: 'u1', address: null },
      { id: 'u2', address: null },
    ],
  });
});

test('@skip and @include are honoured when shaping', () => {
  const query = 'query Q($hide: Boolean!) { me { name email @skip(if: $hide) } }';
  assert.deepEqual(run(query, caller(), { hide: true }).data, { me: { name: 'Bob' } });
  assert.deepEqual(run(query, caller(), { hide: false }).data, { me: { name: 'Bob', email: null } });
});

test('null values already in the response stay null', () => {
  const authorization = authorizeOperation(rules, parse('{ me { email } users { email } }'), undefined, caller());
  const shaped = shapeData(
    { me: null, users: [] },
    { schema: rules.schema, document: parse('{ me { email } users { email } }'), authorization },
  );
  assert.deepEqual(shaped, { me: null, users: [] });
  assert.equal(shapeData(null, { schema: rules.schema, document: parse('{ me { id } }'), authorization }), null);
});
