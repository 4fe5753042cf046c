// A minimal GraphQL client over HTTP for the scripts that drive the running system through the
// router as any client would (the demo seed): one request, its data, or an error carrying the
// first error's stable code.

export class GraphQLRequestError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  constructor(message: string, code: string, field?: string) {
    super(message);
    this.name = 'GraphQLRequestError';
    this.code = code;
    this.field = field;
  }
}

interface Response<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/** Sends one operation; returns its data, or throws a GraphQLRequestError with the first error's code. */
export async function request<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: Response<T>;
  try {
    body = JSON.parse(text) as Response<T>;
  } catch {
    throw new GraphQLRequestError(`HTTP ${response.status}: ${text.slice(0, 200)}`, `HTTP_${response.status}`);
  }
  const [error] = body.errors ?? [];
  if (error || !body.data) {
    throw new GraphQLRequestError(
      error?.message ?? `HTTP ${response.status} without data`,
      error?.extensions?.code ?? `HTTP_${response.status}`,
      error?.extensions?.field,
    );
  }
  return body.data;
}

/** Signs in; returns the access token and the account id. */
export async function signIn(url: string, email: string, password: string): Promise<{ token: string; userId: string }> {
  const data = await request<{ login: { accessToken: string; user: { id: string } } }>(
    url,
    'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id } } }',
    { email, password },
  );
  return { token: data.login.accessToken, userId: data.login.user.id };
}
