import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSchema, GraphQLError, type GraphQLFormattedError, parse, validate } from 'graphql';
import { badUserInput, DomainError, forbidden, isPublicError, maskError, notFound } from './errors.ts';

const locations = [{ line: 1, column: 3 }];
const path = ['patient', 'birthDate'];

/** What Apollo hands `formatError`: the formatted error, with a stack trace in development. */
function formatted(error: GraphQLError, extensions: Record<string, unknown> = {}): GraphQLFormattedError {
  const json = error.toJSON();
  return {
    ...json,
    extensions: { ...json.extensions, stacktrace: ['Error: at secret/internal/file.ts:12'], ...extensions },
  };
}

const leaks = (value: unknown, ...needles: string[]): string[] => {
  const text = JSON.stringify(value);
  return needles.filter((needle) => text.includes(needle));
};

test('a domain error keeps its message, code and details, and where it happened', () => {
  const domain = notFound('Patient', 'p-42');
  const error = new GraphQLError('wrapped by graphql', { originalError: domain, path });
  const masked = maskError(formatted(error, { code: 'INTERNAL_SERVER_ERROR' }), error);
  assert.deepEqual(masked, {
    message: 'Patient p-42 not found',
    path,
    extensions: { code: 'NOT_FOUND', entity: 'Patient', id: 'p-42' },
  });
  assert.equal(isPublicError(formatted(error, { code: 'INTERNAL_SERVER_ERROR' }), error), true);
});

test('a domain error is found through several layers of wrapping', () => {
  const domain = badUserInput('birthDate must not be in the future', 'birthDate');
  const inner = new GraphQLError('subgraph error', { originalError: domain });
  const outer = new GraphQLError('gateway error', { originalError: inner });
  const masked = maskError(
    { message: 'gateway error', locations, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } },
    outer,
  );
  assert.deepEqual(masked, {
    message: 'birthDate must not be in the future',
    locations,
    extensions: { code: 'BAD_USER_INPUT', field: 'birthDate' },
  });
});

test('a domain error thrown as is (no GraphQL wrapper) is public too', () => {
  const domain = forbidden();
  const masked = maskError({ message: 'whatever' }, domain);
  assert.deepEqual(masked, { message: 'You are not allowed to do this', extensions: { code: 'FORBIDDEN' } });
});

test('a domain error without details has only its code in extensions', () => {
  const error = new GraphQLError('x', { originalError: new DomainError('CONFLICT', 'Email already in use') });
  assert.deepEqual(maskError(formatted(error), error).extensions, { code: 'CONFLICT' });
});

test("GraphQL's own validation errors keep their message and code, without the stack trace", () => {
  const schema = buildSchema('type Query { hello: String }');
  const [validationError] = validate(schema, parse('{ goodbye }'));
  assert.ok(validationError);
  const input = formatted(validationError, { code: 'GRAPHQL_VALIDATION_FAILED', exception: { stacktrace: ['x'] } });
  const masked = maskError(input, validationError);
  assert.equal(masked.message, 'Cannot query field "goodbye" on type "Query".');
  assert.deepEqual(masked.locations, [{ line: 1, column: 3 }]);
  assert.deepEqual(masked.extensions, { code: 'GRAPHQL_VALIDATION_FAILED' });
  assert.equal(isPublicError(input, validationError), true);
});

for (const code of ['GRAPHQL_PARSE_FAILED', 'BAD_USER_INPUT', 'OPERATION_RESOLUTION_FAILURE', 'UNAUTHENTICATED']) {
  test(`an error coded ${code} is shown as is`, () => {
    const error = new GraphQLError('Variable "$id" got invalid value', { extensions: { code } });
    const masked = maskError(formatted(error), error);
    assert.equal(masked.message, 'Variable "$id" got invalid value');
    assert.deepEqual(masked.extensions, { code });
  });
}

test('an unexpected error is masked: no message, no stack, no exception', () => {
  const secret = 'connect ECONNREFUSED 10.0.0.7:5432 password=hunter2';
  const cause = new Error(secret);
  const error = new GraphQLError(secret, { originalError: cause, path });
  const input = formatted(error, {
    code: 'INTERNAL_SERVER_ERROR',
    exception: { stacktrace: cause.stack?.split('\n') },
  });
  const masked = maskError(input, error);
  assert.deepEqual(masked, { message: 'Internal server error', path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  assert.deepEqual(leaks(masked, 'hunter2', 'ECONNREFUSED', 'stacktrace', 'exception', 'internal/file.ts'), []);
  assert.equal(isPublicError(input, error), false);
});

test('an error with no code at all is masked', () => {
  const error = new Error('TypeError: cannot read properties of undefined');
  const masked = maskError({ message: error.message, extensions: { stacktrace: ['at x'] } }, error);
  assert.deepEqual(masked, { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  assert.equal(isPublicError({ message: error.message }, error), false);
});

test('an error with a code that is not on the public list is masked', () => {
  const error = new GraphQLError('subgraph patients at http://10.0.0.3:4002 unreachable', {
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'patients' },
  });
  const masked = maskError(formatted(error), error);
  assert.deepEqual(masked, { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  assert.deepEqual(leaks(masked, '10.0.0.3', 'serviceName'), []);
});

test('a plain error carrying a DomainError-like shape is not mistaken for one', () => {
  const impostor = Object.assign(new Error('raw SQL: select * from patient'), { code: 'NOT_FOUND', details: {} });
  const masked = maskError({ message: impostor.message }, impostor);
  assert.equal(masked.message, 'Internal server error');
});
