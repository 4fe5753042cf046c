import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DocumentNode, parse, print, validate } from 'graphql';
import { AUTHZ_SDL, caller, rulesOf } from '../test-support.ts';
import { authorizeOperation } from './authorization.ts';
import { ANONYMOUS, type Caller } from './authorization-rules.ts';

const { rules } = rulesOf(AUTHZ_SDL);

function authorize(query: string, who: Caller = caller(), operationName?: string) {
  const document = parse(query);
  const errors = validate(rules.schema, document);
  assert.deepEqual(errors, [], 'the test operation is valid');
  return { original: document, ...authorizeOperation(rules, document, operationName, who) };
}
const compact = (document: DocumentNode): string => print(document).replace(/\s+/g, ' ').trim();

test('an operation the caller may run entirely is left untouched', () => {
  const result = authorize('{ me { id name } users { id friends { name } } open }');
  assert.deepEqual(result.refused, []);
  assert.equal(result.document, result.original, 'the very same document');
  assert.equal(result.empty, false);
});

test('a refused field is removed and reported with its path and coordinate', () => {
  const result = authorize('{ me { id email name } }');
  assert.deepEqual(result.refused, [{ coordinate: 'User.email', path: ['me', 'email'] }]);
  assert.equal(compact(result.document), '{ me { id name } }');
  assert.equal(result.empty, false);
});

test('the caller scopes decide what goes', () => {
  assert.deepEqual(authorize('{ me { email } }', caller('email')).refused, []);
  assert.deepEqual(
    authorize('{ me { email ssn } }', caller('email')).refused.map((r) => r.coordinate),
    ['User.ssn'],
  );
});

test('aliases: the path uses the response key; each alias is refused on its own', () => {
  const result = authorize('{ who: me { mail: email other: email id } }');
  assert.deepEqual(result.refused, [
    { coordinate: 'User.email', path: ['who', 'mail'] },
    { coordinate: 'User.email', path: ['who', 'other'] },
  ]);
  assert.equal(compact(result.document), '{ who: me { id } }');
});

test('lists: every list level is an "@" in the path', () => {
  assert.deepEqual(authorize('{ users { email } }').refused[0]?.path, ['users', '@', 'email']);
  assert.deepEqual(authorize('{ grid { email } }').refused[0]?.path, ['grid', '@', '@', 'email']);
  assert.deepEqual(authorize('{ users { friends { ssn } } }').refused[0]?.path, ['users', '@', 'friends', '@', 'ssn']);
});

test('named fragments: followed wherever spread, the field removed from the fragment itself', () => {
  const result = authorize('{ me { ...U } users { ...U } } fragment U on User { id email }');
  assert.deepEqual(result.refused, [
    { coordinate: 'User.email', path: ['me', 'email'] },
    { coordinate: 'User.email', path: ['users', '@', 'email'] },
  ]);
  assert.equal(compact(result.document), '{ me { ...U } users { ...U } } fragment U on User { id }');
});

test('inline fragments and abstract types: each field judged on the type it is selected on', () => {
  const result = authorize(
    '{ search { ... on User { id email } ... on Doc { title body } } nodes { id ... on Doc { body } } }',
    caller('doc'),
  );
  assert.deepEqual(result.refused, [{ coordinate: 'User.email', path: ['search', '@', 'email'] }]);
  assert.equal(
    compact(result.document),
    '{ search { ... on User { id } ... on Doc { title body } __authz_typename: __typename } nodes { id ... on Doc { body } __authz_typename: __typename } }',
    'abstract selections carry their type name, to shape the response',
  );
});

test('an interface field is refused when an implementation requires more', () => {
  assert.deepEqual(authorize('{ nodes { id } }', caller()).refused, []);
  const { rules: strict } = rulesOf(
    AUTHZ_SDL.replace(
      'type Doc implements Node @authenticated {\n    id: ID!',
      'type Doc implements Node @authenticated {\n    id: ID! @requiresScopes(scopes: [["docid"]])',
    ),
  );
  const refused = (who: Caller) => authorizeOperation(strict, parse('{ nodes { id } }'), undefined, who).refused;
  assert.deepEqual(refused(caller()), [{ coordinate: 'Node.id', path: ['nodes', '@', 'id'] }]);
  assert.deepEqual(refused(caller('docid')), []);
});

test("composition puts the implementations' type rules on the interface: they guard the fields returning it", () => {
  const { rules: strict } = rulesOf(
    AUTHZ_SDL.replace(
      'type Doc implements Node @authenticated',
      'type Doc implements Node @requiresScopes(scopes: [["doc"]])',
    ),
  );
  const refused = (who: Caller) => authorizeOperation(strict, parse('{ nodes { id } }'), undefined, who).refused;
  assert.deepEqual(refused(caller()), [{ coordinate: 'Query.nodes', path: ['nodes'] }]);
  assert.deepEqual(refused(caller('doc')), []);
});

test('a selection set left empty keeps a placeholder, so its parent is still fetched', () => {
  const result = authorize('{ me { email ... on User { ssn } } }');
  assert.equal(compact(result.document), '{ me { ... on User { __authz_placeholder: __typename } } }');
  assert.equal(result.empty, false);
});

test('a refused field hides what is below it: one refusal, no nested ones', () => {
  const result = authorize('{ me { id } secret }', ANONYMOUS);
  assert.deepEqual(
    result.refused.map((r) => r.coordinate),
    ['Query.me', 'Query.secret'],
  );
  assert.equal(result.empty, true, 'nothing left to execute');
});

test('without a token only public fields remain', () => {
  const result = authorize('{ open me { id } }', ANONYMOUS);
  assert.equal(compact(result.document), '{ open }');
  assert.equal(result.empty, false);
});

test('__typename is always allowed, even on refused types; it keeps the operation non-empty', () => {
  const result = authorize('{ __typename secret }', ANONYMOUS);
  assert.equal(result.empty, false);
  assert.equal(compact(result.document), '{ __typename }');
});

test('introspection fields are refused unless introspection is enabled', () => {
  assert.deepEqual(authorize('{ __schema { queryType { name } } }').refused, [
    { coordinate: 'Query.__schema', path: ['__schema'] },
  ]);
  const { rules: introspective } = rulesOf(AUTHZ_SDL, { introspection: true });
  const result = authorizeOperation(
    introspective,
    parse('{ __type(name: "User") { name fields { name } } }'),
    undefined,
    ANONYMOUS,
  );
  assert.deepEqual(result.refused, []);
});

test('@skip and @include do not hide a refused field', () => {
  assert.deepEqual(
    authorize('{ me { email @skip(if: true) } }').refused.map((r) => r.coordinate),
    ['User.email'],
  );
});

test('only the operation to run is judged; the other operations are left alone', () => {
  const query = 'query A { me { email } } query B { open }';
  const b = authorize(query, caller(), 'B');
  assert.deepEqual(b.refused, []);
  const a = authorize(query, caller(), 'A');
  assert.deepEqual(
    a.refused.map((r) => r.path),
    [['me', 'email']],
  );
  assert.equal(compact(a.document), 'query A { me { __authz_placeholder: __typename } } query B { open }');
});

test("the keys the rewrite adds never collide with the client's", () => {
  const result = authorize('{ me { __authz_placeholder: name email } nodes { __authz_typename: id } }');
  assert.equal(result.hiddenKeys.placeholder, '__authz_placeholder1');
  assert.equal(result.hiddenKeys.typename, '__authz_typename1');
});

test('fragment cycles and unknown fragments do not hang the walk', () => {
  const document = parse('{ me { ...A } } fragment A on User { id ...B } fragment B on User { email ...A ...Missing }');
  const result = authorizeOperation(rules, document, undefined, caller());
  assert.deepEqual(result.refused, [{ coordinate: 'User.email', path: ['me', 'email'] }]);
});

test('a fragment bomb is refused whole rather than walked forever', () => {
  const levels = 30;
  const fragments = Array.from(
    { length: levels },
    (_, i) => `fragment F${i} on User { friends { ...F${i + 1} ...F${i + 1} } }`,
  ).join(' ');
  const document = parse(`{ me { ...F0 } } ${fragments} fragment F${levels} on User { id }`);
  const started = Date.now();
  const result = authorizeOperation(rules, document, undefined, caller());
  assert.ok(Date.now() - started < 5_000);
  assert.equal(result.empty, true);
  assert.deepEqual(
    result.refused.map((r) => r.path),
    [['me']],
  );
});

test('an unknown operation name is left to the server to refuse', () => {
  const document = parse('query A { me { email } }');
  const result = authorizeOperation(rules, document, 'Nope', caller());
  assert.deepEqual(result.refused, []);
  assert.equal(result.document, document);
});
