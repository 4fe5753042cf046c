import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { CALLER_HEADER, type CallerClaims, signCallerToken } from '@cabinet/platform/caller-token';
import type { Principal } from './authentication.ts';

/** Per-request state the router keeps: who is calling, and the credential minted for subgraphs. */
export interface RouterContext {
  requestId: string;
  principal: Principal | null;
  clientAddress: string | null;
  callerToken: string;
}

export function callerClaims(
  principal: Principal | null,
  requestId: string,
  clientAddress: string | null,
): CallerClaims {
  return { subject: principal?.subject ?? null, requestId, clientAddress, claims: principal?.claims ?? {} };
}

export async function createRouterContext(
  secret: string,
  principal: Principal | null,
  requestId: string,
  clientAddress: string | null,
): Promise<RouterContext> {
  return {
    requestId,
    principal,
    clientAddress,
    callerToken: await signCallerToken(secret, callerClaims(principal, requestId, clientAddress)),
  };
}

/**
 * Every subgraph fetch carries the caller token, and only it: the client's own headers
 * (including its access token) never reach a subgraph.
 */
export function callerDataSource(
  url: string,
  /** Told the request id of every fetch it sends (tests count them); production sets none. */
  onRequest?: (requestId: string) => void,
): RemoteGraphQLDataSource<RouterContext> {
  return new RemoteGraphQLDataSource<RouterContext>({
    url,
    willSendRequest({ request, context }) {
      onRequest?.(String(context.requestId));
      if (context.callerToken) request.http?.headers.set(CALLER_HEADER, context.callerToken);
      if (context.requestId) request.http?.headers.set('x-request-id', context.requestId);
    },
  });
}
