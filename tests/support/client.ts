import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
}

/** A GraphQL client over HTTP, as the Angular app would be. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

export async function login(url: string, email: string, password: string): Promise<{ token: string; userId: string }> {
  const response = await gql<{ login: { accessToken: string; user: { id: string } } }>(
    url,
    'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id } } }',
    { email, password },
  );
  if (!response.data?.login) throw new Error(`login failed: ${JSON.stringify(response.errors)}`);
  return { token: response.data.login.accessToken, userId: response.data.login.user.id };
}

/** The password `staffMember` gives every account it creates. */
export const STAFF_PASSWORD = 'a staff password 123';

export const STAFF_ACCOUNT = `mutation Create($input: CreateStaffAccountInput!) {
  createStaffAccount(input: $input) { id email role cabinetId }
}`;

/** Creates a staff account as `adminToken` and signs it in. */
export async function staffMember(
  url: string,
  adminToken: string,
  input: { email: string; role: string; cabinetId: string },
): Promise<{ token: string; userId: string }> {
  const password = STAFF_PASSWORD;
  const created = await gql(url, STAFF_ACCOUNT, { input: { ...input, password, name: 'Test Staff' } }, adminToken);
  if (!created.data?.createStaffAccount)
    throw new Error(`createStaffAccount failed: ${JSON.stringify(created.errors)}`);
  return login(url, input.email, password);
}

export interface Subscription<T> {
  /** Waits for the next event (or fails after `timeoutMs`). */
  next(timeoutMs?: number): Promise<T>;
  /** Everything received so far. */
  received: T[];
  close(): Promise<void>;
}

/** Subscribes over graphql-ws the way a browser would, authenticating in connection_init. */
export async function subscribe<T = Record<string, any>>(
  wsUrl: string,
  token: string | null,
  query: string,
): Promise<Subscription<{ data?: T; errors?: unknown[] }>> {
  const received: { data?: T; errors?: unknown[] }[] = [];
  const waiters: (() => void)[] = [];
  let closed: { code: number; reason: string } | null = null;
  let failure: unknown = null;
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    // Connection failures are observed through `closed` below.
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        closed = { code: e.code, reason: e.reason };
        for (const wake of waiters.splice(0)) wake();
      },
    },
  });
  let connected = false;
  client.on('connected', () => {
    connected = true;
  });
  client.subscribe<T>(
    { query },
    {
      next: (value) => {
        received.push(value as { data?: T; errors?: unknown[] });
        for (const wake of waiters.splice(0)) wake();
      },
      error: (error) => {
        failure = error;
        for (const wake of waiters.splice(0)) wake();
      },
      complete: () => undefined,
    },
  );
  // Let the server acknowledge the connection and register the subscription.
  for (let i = 0; i < 50 && !connected && !closed; i++) await sleep(50);
  await sleep(200);
  let cursor = 0;
  return {
    received,
    async next(timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      while (cursor >= received.length) {
        if (closed) throw Object.assign(new Error(`socket closed ${closed.code}: ${closed.reason}`), closed);
        if (failure) throw Object.assign(new Error('subscription failed'), { failure });
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`no event within ${timeoutMs} ms`);
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), sleep(remaining)]);
      }
      return received[cursor++] as { data?: T; errors?: unknown[] };
    },
    async close() {
      await client.dispose();
    },
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 15000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
