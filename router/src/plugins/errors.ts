import type { ApolloServerPlugin } from '@apollo/server';
import { isPublicError, maskError } from '@cabinet/platform/errors';
import type { Logger } from '@cabinet/platform/logger';
import type { GraphQLFormattedError } from 'graphql';
import type { RouterContext } from './caller.ts';
import { currentRequestId } from './request-id.ts';

/**
 * Client-facing errors: no stack traces, no subgraph names or URLs, no internals; and the request
 * id, also on errors answered before any plugin runs (CSRF, malformed request).
 */
export function formatRouterError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const masked = maskError(formatted, error);
  // The gateway describes a failed subgraph call (`serviceName`, `response` with its URL and body).
  const { serviceName: _service, response: _response, ...extensions } = masked.extensions ?? {};
  const requestId = currentRequestId();
  return { ...masked, extensions: requestId ? { ...extensions, requestId } : extensions };
}

/** Logs unexpected errors with the request id, and puts the request id on every error. */
export function errorReporting(log: Logger): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const error of errors) {
            if (!isPublicError({ message: error.message, extensions: error.extensions }, error)) {
              log.error({ requestId: contextValue.requestId, err: error.originalError ?? error }, 'unexpected error');
            }
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        },
      };
    },
  };
}
