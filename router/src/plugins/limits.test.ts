import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildSchema,
  getIntrospectionQuery,
  Kind,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { checkLimits, measureOperation, type OperationLimits, operationLimitsRule } from './limits.ts';

const LIMITS: OperationLimits = { maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxFields: 500 };

function measure(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return measureOperation(document, operation);
}
function check(query: string, limits: Partial<OperationLimits> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return checkLimits(document, operation, { ...LIMITS, ...limits });
}
const nested = (depth: number): string => `{ ${'a { '.repeat(depth - 1)}b${' }'.repeat(depth - 1)} }`;

test('depth counts field levels, a root field being at depth 1', () => {
  assert.equal(measure('{ a }').depth, 1);
  assert.equal(measure('{ a { b { c } } d }').depth, 3);
  assert.equal(measure(nested(15)).depth, 15);
  assert.equal(check(nested(15)), null);
  assert.deepEqual(check(nested(21)), { limit: 'MAX_DEPTH', message: 'Query depth 21 exceeds the maximum of 15' });
});

test('depth follows fragments and inline fragments', () => {
  const query = '{ a { ...F } } fragment F on T { b { ... on T { c { d } } } }';
  assert.equal(measure(query).depth, 4);
  assert.equal(check(query, { maxDepth: 3 })?.limit, 'MAX_DEPTH');
});

test('aliases are counted with fragments expanded', () => {
  const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: a`).join(' ');
  assert.equal(measure(`{ ${aliases} }`).aliases, 31);
  assert.deepEqual(check(`{ ${aliases} }`, { maxRootFields: 100 }), {
    limit: 'MAX_ALIASES',
    message: 'Query uses 31 aliases, exceeding the maximum of 30',
  });
  const spread = '{ x: a { ...F } y: a { ...F } } fragment F on T { p: b q: b }';
  assert.equal(measure(spread).aliases, 6, 'each spread counts its aliases');
});

test('root fields are counted through fragments at the root', () => {
  const roots = Array.from({ length: 21 }, (_, i) => `f${i}`).join(' ');
  assert.equal(measure(`{ ${roots} }`).rootFields, 21);
  assert.deepEqual(check(`{ ${roots} }`), {
    limit: 'MAX_ROOT_FIELDS',
    message: 'Query selects 21 root fields, exceeding the maximum of 20',
  });
  assert.equal(measure('{ a ...R ... { b c } } fragment R on Query { d e }').rootFields, 5);
  assert.equal(measure('{ a { b c d } }').rootFields, 1, 'nested fields are not root fields');
});

test('total fields are counted with every fragment expanded', () => {
  assert.equal(measure('{ a { b c } d }').fields, 4);
  assert.equal(measure('{ a { ...F } b { ...F } } fragment F on T { x y z }').fields, 8);
  assert.equal(check('{ a { ...F } b { ...F } } fragment F on T { x y z }', { maxFields: 7 })?.limit, 'MAX_FIELDS');
  assert.deepEqual(
    check('{ a { ...F } b { ...F } } fragment F on T { x y z }', { maxFields: 7 })?.message,
    'Query selects 8 fields, exceeding the maximum of 7',
  );
});

test('a fragment bomb is measured at once, without expanding it', () => {
  const levels = 60;
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on T { a { ...F${i + 1} ...F${i + 1} } }`);
  const query = `{ root { ...F0 } } ${fragments.join(' ')} fragment F${levels} on T { leaf }`;
  const started = Date.now();
  const shape = measure(query);
  assert.ok(Date.now() - started < 1000, 'linear in the document');
  assert.ok(shape.fields > 1e15, 'astronomically many fields once expanded');
  assert.equal(check(query, { maxDepth: 100 })?.limit, 'MAX_FIELDS');
});

test('fragment cycles do not hang the checker', () => {
  const shape = measure('{ a { ...A } } fragment A on T { x ...B } fragment B on T { y ...A }');
  assert.equal(shape.fields, 3);
  assert.equal(measure('{ ...Self } fragment Self on Query { ...Self }').fields, 0);
  assert.equal(measure('{ a { ...Missing } }').fields, 1, 'an unknown fragment counts for nothing');
});

test('the standard introspection query fits the defaults', () => {
  assert.equal(check(getIntrospectionQuery()), null);
  assert.equal(check(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true })), null);
  assert.doesNotThrow(() => parse(getIntrospectionQuery({ inputValueDeprecation: true }), { maxTokens: 5000 }));
});

test('as a validation rule: every operation of the document is checked, with the limit named', () => {
  const schema = buildSchema('type Query { a: T f: Int } type T { a: T b: Int }');
  const rules = [...specifiedRules, operationLimitsRule({ ...LIMITS, maxDepth: 3 })];
  assert.deepEqual(validate(schema, parse('query Ok { a { a { b } } }'), rules), []);
  const errors = validate(schema, parse('query Ok { f } query Deep { a { a { a { b } } } }'), rules);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.message, 'Query depth 4 exceeds the maximum of 3');
  assert.deepEqual(errors[0]?.extensions, { limit: 'MAX_DEPTH' });
});

test('as a validation rule next to the cycle check, a cyclic document terminates with errors', () => {
  const schema = buildSchema('type Query { a: T } type T { a: T b: Int }');
  const errors = validate(schema, parse('{ a { ...A } } fragment A on T { b ...B } fragment B on T { ...A }'), [
    ...specifiedRules,
    operationLimitsRule(LIMITS),
  ]);
  assert.ok(errors.some((error) => /Cannot spread fragment/.test(error.message)));
});
