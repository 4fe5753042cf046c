import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { signCallerToken } from '@cabinet/platform/caller-token';
import type { Logger } from '@cabinet/platform/logger';
import {
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  print,
} from 'graphql';
import { createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import type { LoadedSupergraph } from '../supergraph.ts';
import type { Authentication, Principal } from './authentication.ts';
import { callerClaims } from './caller.ts';

export interface SubscriptionOptions {
  httpServer: Server;
  path: string;
  supergraph: LoadedSupergraph;
  routerSecret: string;
  authRequired: boolean;
  authenticate: (token: string) => Promise<Authentication>;
  maxPayloadBytes: number;
  log: Logger;
}

type ConnectionState = {
  principal?: Principal | null;
  clientAddress?: string | null;
  expiryTimer?: NodeJS.Timeout;
};

/** Close codes (graphql-ws reserves 4400-4499 for the protocol's own). */
const UNAUTHORIZED = 4401;

function tokenFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const raw = params?.authorization ?? params?.Authorization ?? params?.token;
  if (typeof raw !== 'string') return null;
  return raw.replace(/^Bearer\s+/i, '').trim() || null;
}

function subscribedField(args: ExecutionArgs): string | null {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
  );
  const first = operation?.selectionSet.selections[0];
  return first?.kind === Kind.FIELD ? first.name.value : null;
}

const failure = (message: string, code: string): ExecutionResult => ({
  errors: [new GraphQLError(message, { extensions: { code } })],
});

/**
 * GraphQL subscriptions over graphql-ws on the router's own port, which @apollo/gateway cannot
 * do. The client authenticates in `connection_init`; each subscription is validated against the
 * API schema and forwarded over graphql-ws to the subgraph that owns its root field, carrying the
 * caller token like any other subgraph request.
 */
export function serveSubscriptions(options: SubscriptionOptions): () => Promise<void> {
  const { supergraph, log } = options;
  const wsServer = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: options.maxPayloadBytes,
  });

  async function* forward(args: ExecutionArgs): AsyncGenerator<ExecutionResult> {
    const state = args.contextValue as ConnectionState & { requestId: string };
    const field = subscribedField(args);
    const owner = field ? supergraph.subscriptionOwners.get(field) : undefined;
    const url = owner ? supergraph.urls.get(owner) : undefined;
    if (!url) {
      yield failure('No subgraph serves this subscription', 'BAD_USER_INPUT');
      return;
    }
    const callerToken = await signCallerToken(
      options.routerSecret,
      callerClaims(state.principal ?? null, state.requestId, state.clientAddress ?? null),
    );
    let upstreamSocket: WebSocket | null = null;
    const terminate = () => upstreamSocket?.terminate();
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      on: {
        opened: (socket) => {
          upstreamSocket = socket as WebSocket;
        },
      },
      connectionParams: { callerToken },
      lazy: true,
      retryAttempts: 0,
    });
    try {
      const upstream = client.iterate({
        query: print(args.document),
        variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
        operationName: args.operationName ?? undefined,
      });
      for await (const result of upstream) yield result as ExecutionResult;
    } catch (error) {
      if (Array.isArray(error))
        yield { errors: error.map((e) => new GraphQLError(e.message, { extensions: e.extensions })) };
      else {
        log.warn({ requestId: state.requestId, err: error, subgraph: owner }, 'subscription upstream failed');
        yield failure('The subscription ended unexpectedly', 'INTERNAL_SERVER_ERROR');
      }
    } finally {
      await client.dispose();
      terminate();
    }
  }

  const handle = useServer<Record<string, unknown>, ConnectionState>(
    {
      schema: supergraph.apiSchema,
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        ctx.extra.clientAddress = ctx.extra.request.socket.remoteAddress ?? null;
        const token = tokenFrom(ctx.connectionParams);
        if (!token) {
          if (options.authRequired) {
            socket.close(UNAUTHORIZED, 'Unauthorized: authentication required');
            return false;
          }
          ctx.extra.principal = null;
          return true;
        }
        const auth = await options.authenticate(token);
        if (!auth.ok) {
          socket.close(UNAUTHORIZED, `Unauthorized: ${auth.reason}`);
          return false;
        }
        ctx.extra.principal = auth.principal;
        const remaining = auth.principal.expiresAt * 1000 - Date.now();
        ctx.extra.expiryTimer = setTimeout(
          () => socket.close(UNAUTHORIZED, 'Unauthorized: Access token expired'),
          remaining,
        );
        socket.once('close', () => clearTimeout(ctx.extra.expiryTimer));
        return true;
      },
      context: (ctx) => ({
        principal: ctx.extra.principal ?? null,
        clientAddress: ctx.extra.clientAddress ?? null,
        requestId: randomUUID(),
      }),
      execute: () => failure('Send queries and mutations over HTTP; WebSocket is for subscriptions', 'BAD_USER_INPUT'),
      subscribe: (args) => forward(args),
    },
    wsServer,
  );

  return async () => {
    await handle.dispose();
    // Do not wait out the close handshake of peers that are going away anyway.
    for (const socket of wsServer.clients) socket.terminate();
    wsServer.close();
  };
}
