import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type GraphQLResponse, post, startTestSystem, type TestSystem } from './test-system.ts';

/** Every error carries the request id the response announces, and nothing like a stack trace. */
function assertCleanErrors(response: GraphQLResponse): void {
  const requestId = response.headers.get('x-request-id');
  assert.ok(requestId, 'x-request-id header');
  assert.ok((response.body.errors ?? []).length > 0, 'an error response');
  for (const error of response.body.errors ?? []) {
    assert.equal(error.extensions?.requestId, requestId, JSON.stringify(error));
  }
  assert.doesNotMatch(JSON.stringify(response.body), /stacktrace|exception|\.ts:\d|at .*\(/);
}

const fragmentTree = (levels: number): string =>
  Array.from({ length: levels }, (_, i) => `fragment L${i + 1} on Link { next { ...L${i} ...L${i} } }`).join(' ') +
  ' fragment L0 on Link { value }';

describe('a router in development, authentication required', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem({ NODE_ENV: 'development' });
  });
  after(() => system.stop());

  test('a partially forbidden query returns the allowed data, and null + FORBIDDEN for the rest', async () => {
    const before = system.resolved.get('Review.rating') ?? 0;
    const response = await post(system.url, '{ me { name email reviews { body rating } } open }', {
      token: await system.token(['email']),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, {
      me: { name: 'Bob', email: 'bob@example.test', reviews: [{ body: 'by u2', rating: null }] },
      open: 'hello',
    });
    assert.deepEqual(response.body.errors, [
      {
        message: 'Unauthorized field or type',
        path: ['me', 'reviews', '@', 'rating'],
        extensions: { code: 'FORBIDDEN', requestId: response.headers.get('x-request-id') },
      },
    ]);
    assert.equal(system.resolved.get('Review.rating') ?? 0, before, 'no subgraph was asked for the refused field');
  });

  test('a refused non-null field nulls its nearest nullable ancestor', async () => {
    const response = await post(system.url, '{ me { name ssn } open }', { token: await system.token() });
    assert.deepEqual(response.body.data, { me: null, open: 'hello' });
    assert.deepEqual(
      response.body.errors?.map((e) => [e.path, e.extensions?.code]),
      [[['me', 'ssn'], 'FORBIDDEN']],
    );
  });

  test('a query plan made for one caller never serves another', async () => {
    const query = '{ users { name reviews { rating } } }';
    const without = await post(system.url, query, { token: await system.token() });
    assert.deepEqual(without.body.data, {
      users: [
        { name: 'Ada', reviews: [{ rating: null }] },
        { name: 'Bob', reviews: [{ rating: null }] },
      ],
    });
    const withScope = await post(system.url, query, { token: await system.token(['ratings']) });
    assert.deepEqual(withScope.body, {
      data: {
        users: [
          { name: 'Ada', reviews: [{ rating: 4 }] },
          { name: 'Bob', reviews: [{ rating: 4 }] },
        ],
      },
    });
    const again = await post(system.url, query, { token: await system.token() });
    assert.deepEqual(again.body.data, without.body.data);
    assert.deepEqual(
      again.body.errors?.map((e) => e.path),
      [['users', '@', 'reviews', '@', 'rating']],
      'one error per refused field, whatever the number of items',
    );
  });

  test('with nothing authorized left, no subgraph is called', async () => {
    const before = system.resolved.get('Query.secret') ?? 0;
    const response = await post(system.url, '{ secret bare }', { token: await system.token() });
    assert.equal(response.status, 200);
    assert.equal(response.body.data, null, 'secret is non-null');
    assert.deepEqual(
      response.body.errors?.map((e) => e.path),
      [['secret'], ['bare']],
    );
    assert.equal(system.resolved.get('Query.secret') ?? 0, before);
    assert.equal(system.resolved.get('Query.bare'), undefined, 'a field without a rule is refused by default');
  });

  test('scopes grant what they name', async () => {
    const response = await post(system.url, '{ secret me { ssn } }', { token: await system.token(['secret', 'ssn']) });
    assert.deepEqual(response.body, { data: { secret: 's3cr3t', me: { ssn: '222' } } });
  });

  test('without a token: public root fields run, anything else is HTTP 401', async () => {
    assert.deepEqual((await post(system.url, '{ open chain { value next { value } } }')).body, {
      data: { open: 'hello', chain: { value: 1, next: { value: 2 } } },
    });
    for (const query of [
      '{ me { name } }',
      '{ open me { id } }',
      '{ bare }',
      'mutation { rename(name: "x") { id } }',
    ]) {
      const response = await post(system.url, query);
      assert.equal(response.status, 401, query);
      assert.equal(response.body.errors?.[0]?.message, 'Authentication required');
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assertCleanErrors(response);
    }
  });

  test('a bad token is HTTP 401 with the reason', async () => {
    const response = await post(system.url, '{ open }', { token: 'not.a.token' });
    assert.equal(response.status, 401);
    assert.equal(response.body.errors?.[0]?.message, 'Access token rejected: malformed');
    assertCleanErrors(response);
  });

  test('introspection and the landing page are on in development', async () => {
    const response = await post(system.url, '{ __schema { queryType { name } } }');
    assert.deepEqual(response.body, { data: { __schema: { queryType: { name: 'Query' } } } });
    const page = await fetch(system.url, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  });

  describe('limits: HTTP 400 before anything runs', () => {
    const refused = async (query: string, message: string | RegExp, code = 'GRAPHQL_VALIDATION_FAILED') => {
      const before = [...system.resolved.values()].reduce((a, b) => a + b, 0);
      const response = await post(system.url, query, { token: await system.token(['secret', 'email', 'ssn']) });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.data, undefined);
      assert.equal(response.body.errors?.length, 1);
      const [error] = response.body.errors ?? [];
      if (typeof message === 'string') assert.equal(error?.message, message);
      else assert.match(error?.message ?? '', message);
      assert.equal(error?.extensions?.code, code);
      assertCleanErrors(response);
      assert.equal(
        [...system.resolved.values()].reduce((a, b) => a + b, 0),
        before,
        'nothing ran',
      );
      return error;
    };

    test('depth', async () => {
      const deep = (levels: number) => `{ chain { ${'next { '.repeat(levels - 2)}value${' }'.repeat(levels - 2)} } }`;
      assert.equal((await post(system.url, deep(15))).status, 200, 'depth 15 is fine');
      const error = await refused(deep(21), 'Query depth 21 exceeds the maximum of 15');
      assert.equal(error?.extensions?.limit, 'MAX_DEPTH');
    });

    test('aliases', async () => {
      const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: value`).join(' ');
      await refused(`{ chain { ${aliases} } }`, 'Query uses 31 aliases, exceeding the maximum of 30');
    });

    test('root fields', async () => {
      const roots = Array.from({ length: 21 }, (_, i) => `o${i}: open`).join(' ');
      await refused(`{ ${roots} }`, 'Query selects 21 root fields, exceeding the maximum of 20');
    });

    test('fields, fragments expanded', async () => {
      await refused(`{ chain { ...L8 } } ${fragmentTree(8)}`, 'Query selects 512 fields, exceeding the maximum of 500');
    });

    test('tokens', async () => {
      const query = `{ me { ${'name '.repeat(5000)} } }`;
      await refused(query, /Document contains more tha[nt] 5000 tokens/, 'GRAPHQL_PARSE_FAILED');
    });

    test('fragment cycles are refused, not followed forever', async () => {
      await refused(
        '{ chain { ...A } } fragment A on Link { next { ...B } } fragment B on Link { ...A }',
        /Cannot spread fragment "A"/,
      );
    });
  });

  test('CSRF prevention: a simple POST (text/plain) without a preflight header is refused', async () => {
    const token = await system.token();
    const response = await fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { name } }' }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as GraphQLResponse['body'];
    assert.match(body.errors?.[0]?.message ?? '', /Cross-Site Request Forgery/);
    assertCleanErrors({ status: response.status, headers: response.headers, body });
    const preflighted = await post(system.url, '{ me { name } }', {
      token,
      headers: { 'apollo-require-preflight': 'true' },
    });
    assert.deepEqual(preflighted.body, { data: { me: { name: 'Bob' } } });
  });

  test('errors never show internals, and always carry the request id', async () => {
    const token = await system.token();
    const internal = await post(system.url, '{ boom }', { token });
    assert.equal(internal.body.errors?.[0]?.message, 'Internal server error');
    assertCleanErrors(internal);
    assert.doesNotMatch(JSON.stringify(internal.body), /10\.0\.0\.7|127\.0\.0\.1|accounts/);
    assertCleanErrors(await post(system.url, '{ nope }', { token }));
    assertCleanErrors(await post(system.url, '{ me { ', { token }));
    assertCleanErrors(await post(system.url, '{ me { ssn } }', { token }));
    const malformed = await fetch(system.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"query": ',
    });
    assertCleanErrors({
      status: malformed.status,
      headers: malformed.headers,
      body: (await malformed.json()) as never,
    });
    const clientId = 'client-chosen-id-123';
    const echoed = await post(system.url, '{ me { ssn } }', { token, headers: { 'x-request-id': clientId } });
    assert.equal(echoed.body.errors?.[0]?.extensions?.requestId, clientId);
  });

  describe('subscriptions over WebSocket', () => {
    const subscribe = async (query: string, token?: string) => {
      const client = createClient({
        url: system.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      const results: unknown[] = [];
      try {
        for await (const result of client.iterate({ query })) results.push(result);
      } catch (error) {
        results.push({ thrown: Array.isArray(error) ? error : String((error as { reason?: string }).reason ?? error) });
      } finally {
        await client.dispose();
      }
      return results;
    };

    test('an authorized subscription is relayed', async () => {
      const results = await subscribe('subscription { reviewAdded { body } }', await system.token());
      assert.deepEqual(results, [{ data: { reviewAdded: { body: 'live' } } }]);
    });

    test('a subscription selecting a refused field is refused whole, before reaching the subgraph', async () => {
      const before = system.resolved.get('Subscription.reviewAdded') ?? 0;
      const [result] = (await subscribe('subscription { reviewAdded { body rating } }', await system.token())) as {
        data?: unknown;
        errors: { message: string; path: string[]; extensions: { code: string; requestId: string } }[];
      }[];
      assert.equal(result?.data, undefined);
      assert.equal(result?.errors.length, 1);
      assert.equal(result?.errors[0]?.message, 'Unauthorized field or type');
      assert.deepEqual(result?.errors[0]?.path, ['reviewAdded', 'rating']);
      assert.equal(result?.errors[0]?.extensions.code, 'FORBIDDEN');
      assert.ok(result?.errors[0]?.extensions.requestId);
      assert.equal(system.resolved.get('Subscription.reviewAdded') ?? 0, before);
    });

    test('limits apply to subscriptions too', async () => {
      const [result] = (await subscribe(
        `subscription { reviewAdded { ${Array.from({ length: 31 }, (_, i) => `b${i}: body`).join(' ')} } }`,
        await system.token(),
      )) as { thrown: { message: string; extensions: { code: string } }[] }[];
      assert.equal(result?.thrown[0]?.message, 'Query uses 31 aliases, exceeding the maximum of 30');
      assert.equal(result?.thrown[0]?.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    });

    test('a connection without a token is refused', async () => {
      const [result] = await subscribe('subscription { reviewAdded { body } }');
      assert.deepEqual(result, { thrown: 'Unauthorized: authentication required' });
    });
  });
});

describe('a router in production', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem({ NODE_ENV: 'production' });
  });
  after(() => system.stop());

  test('introspection is refused, with or without a token', async () => {
    const query = '{ __schema { queryType { name } } }';
    const anonymous = await post(system.url, query);
    assert.equal(anonymous.status, 401);
    const response = await post(system.url, query, { token: await system.token() });
    assert.equal(response.status, 400);
    assert.match(response.body.errors?.[0]?.message ?? '', /introspection is not allowed/);
    assertCleanErrors(response);
    const type = await post(system.url, '{ __type(name: "User") { name } }', { token: await system.token() });
    assert.equal(type.status, 400);
  });

  test('the landing page is off', async () => {
    const page = await fetch(system.url, { headers: { accept: 'text/html' } });
    assert.notEqual(page.status, 200);
    assert.doesNotMatch(page.headers.get('content-type') ?? '', /text\/html/);
  });

  test('errors still carry the request id and no stack trace', async () => {
    assertCleanErrors(await post(system.url, '{ boom }', { token: await system.token() }));
    assertCleanErrors(await post(system.url, '{ nope }', { token: await system.token() }));
  });
});

describe('a router with authentication optional', () => {
  let system: TestSystem;
  before(async () => {
    system = await startTestSystem({ AUTH_MODE: 'optional', AUTHZ_DEFAULT: 'allow' });
  });
  after(() => system.stop());

  test('without a token, fields needing one are refused as UNAUTHENTICATED', async () => {
    const response = await post(system.url, '{ open bare me { name } }');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { open: 'hello', bare: 'bare', me: null });
    assert.deepEqual(
      response.body.errors?.map((e) => [e.path, e.extensions?.code]),
      [[['me'], 'UNAUTHENTICATED']],
    );
  });

  test('AUTHZ_DEFAULT=allow lets fields without a rule through', async () => {
    const response = await post(system.url, '{ bare }', { token: await system.token() });
    assert.deepEqual(response.body, { data: { bare: 'bare' } });
  });
});
