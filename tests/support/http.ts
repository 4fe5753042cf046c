import type { GraphQLResponse } from './client.ts';

/** A router answer with what `gql` leaves out: the raw text and the response headers. */
export interface RawGraphQLResponse<T = Record<string, any>> extends GraphQLResponse<T> {
  /** The `x-request-id` response header. */
  requestId: string | null;
  headers: Headers;
  /** The body exactly as sent, to search for anything that should not be in it. */
  text: string;
}

/** POSTs `body` (an object is sent as JSON, a string as it is) and keeps everything the server answered. */
export async function postGraphQL<T = Record<string, any>>(
  url: string,
  body: object | string,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<RawGraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Omit<GraphQLResponse<T>, 'status'> = {};
  try {
    parsed = JSON.parse(text) as Omit<GraphQLResponse<T>, 'status'>;
  } catch {
    // Not JSON: the caller asserts on `text`.
  }
  return {
    status: response.status,
    ...parsed,
    requestId: response.headers.get('x-request-id'),
    headers: response.headers,
    text,
  };
}

/** A GraphQL operation as `gql` sends it, answered with headers and raw text. */
export function gqlRaw<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  operationName?: string,
): Promise<RawGraphQLResponse<T>> {
  return postGraphQL<T>(url, { query, variables, ...(operationName ? { operationName } : {}) }, { token });
}
