import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Stable error codes clients can switch on. */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An expected failure: its message and code are meant for the client. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  /** Machine-readable details, e.g. `{ field: 'birthDate' }`. Never internals. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export const badUserInput = (message: string, field?: string): DomainError =>
  new DomainError('BAD_USER_INPUT', message, field ? { field } : {});
export const unauthenticated = (message = 'Authentication required'): DomainError =>
  new DomainError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this'): DomainError =>
  new DomainError('FORBIDDEN', message);
export const notFound = (entity: string, id: string): DomainError =>
  new DomainError('NOT_FOUND', `${entity} ${id} not found`, { entity, id });
export const conflict = (message: string): DomainError => new DomainError('CONFLICT', message);

/** Codes produced by GraphQL itself (parsing, validation, variable coercion) that are safe to show. */
const GRAPHQL_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'BAD_REQUEST',
]);
const PUBLIC_CODES = new Set<string>([...ERROR_CODES, ...GRAPHQL_CODES]);

function findDomainError(error: unknown): DomainError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/** True when the client may see this error's message as it is. */
export function isPublicError(formatted: GraphQLFormattedError, error: unknown): boolean {
  if (findDomainError(error)) return true;
  const code = formatted.extensions?.code;
  return typeof code === 'string' && PUBLIC_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR';
}

/**
 * Turns any error into what a client may see: domain errors keep their message and code,
 * GraphQL's own errors keep theirs, everything else becomes an opaque INTERNAL_SERVER_ERROR.
 * The request id is added to every error by the server's plugin, so support can find the log.
 */
export function maskError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const where = {
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
  };
  const domain = findDomainError(error);
  if (domain) {
    return { message: domain.message, ...where, extensions: { ...domain.details, code: domain.code } };
  }
  if (isPublicError(formatted, error)) {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { message: formatted.message, ...where, extensions };
  }
  return { message: 'Internal server error', ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** A GraphQL error for places that build responses by hand (HTTP middleware, WebSocket). */
export function graphQLError(code: ErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}
