import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { signCallerToken } from '@cabinet/platform/caller-token';
import type { Logger } from '@cabinet/platform/logger';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  specifiedRules,
  validate,
} from 'graphql';
import { createClient } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import type { LoadedSupergraph } from '../supergraph.ts';
import type { Authentication, Principal } from './authentication.ts';
import { authorizeOperation } from './authorization.ts';
import { callerOf, refusalErrors, refusedCoordinates, UNAUTHORIZED_FIELD } from './authorization-plugin.ts';
import type { AccessRules } from './authorization-rules.ts';
import { callerClaims } from './caller.ts';
import { type DecisionLog, noDecisionLog } from './decision-log.ts';
import { type OperationLimits, operationLimitsRule } from './limits.ts';

export interface SubscriptionOptions {
  httpServer: Server;
  path: string;
  supergraph: LoadedSupergraph;
  routerSecret: string;
  authRequired: boolean;
  authenticate: (token: string) => Promise<Authentication>;
  maxPayloadBytes: number;
  /** The schema's access rules: a subscription selecting any refused field is refused whole. */
  rules: AccessRules;
  limits: OperationLimits;
  maxTokens: number;
  decisions?: DecisionLog;
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

function operationNameOf(document: DocumentNode, operationName: string | null | undefined): string | null {
  return getOperationAST(document, operationName)?.name?.value ?? null;
}

function subscribedField(args: ExecutionArgs): string | null {
  const operation = args.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
  );
  const first = operation?.selectionSet.selections[0];
  return first?.kind === Kind.FIELD ? first.name.value : null;
}

/** A subgraph's error as it reached us (plain JSON), as an error of our own response, with our request id. */
const relayedError = (error: GraphQLFormattedError, requestId: string): GraphQLError =>
  new GraphQLError(error.message, {
    path: error.path,
    extensions: { ...error.extensions, code: error.extensions?.code ?? 'INTERNAL_SERVER_ERROR', requestId },
  });

/** A subgraph's result, relayed: its data as is, its errors rebuilt (graphql-ws serializes GraphQLErrors). */
function relayed(
  result: FormattedExecutionResult<Record<string, unknown>, unknown>,
  requestId: string,
): ExecutionResult {
  return {
    data: result.data ?? null,
    ...(result.errors ? { errors: result.errors.map((error) => relayedError(error, requestId)) } : {}),
  };
}

const failure = (message: string, code: string, requestId?: string): ExecutionResult => ({
  errors: [new GraphQLError(message, { extensions: { code, ...(requestId ? { requestId } : {}) } })],
});

/**
 * GraphQL subscriptions over graphql-ws on the router's own port, which @apollo/gateway cannot
 * do. The client authenticates in `connection_init`; each subscription is validated against the
 * API schema and forwarded over graphql-ws to the subgraph that owns its root field, carrying the
 * caller token like any other subgraph request.
 */
export function serveSubscriptions(options: SubscriptionOptions): () => Promise<void> {
  const { supergraph, log, rules } = options;
  const decisions = options.decisions ?? noDecisionLog;
  const validationRules = [...specifiedRules, operationLimitsRule(options.limits)];
  const wsServer = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: options.maxPayloadBytes,
  });

  async function* forward(args: ExecutionArgs): AsyncGenerator<ExecutionResult> {
    const state = args.contextValue as ConnectionState & { requestId: string };
    const principal = state.principal ?? null;
    const authorization = authorizeOperation(rules, args.document, args.operationName, callerOf(principal));
    if (authorization.refused.length > 0) {
      const fields = refusedCoordinates(authorization.refused);
      log.info({ requestId: state.requestId, fields }, 'subscription refused');
      decisions.denied({
        requestId: state.requestId,
        clientAddress: state.clientAddress ?? null,
        subject: principal?.subject ?? null,
        claims: principal?.claims ?? {},
        reason: UNAUTHORIZED_FIELD,
        operationName: operationNameOf(args.document, args.operationName),
        fields,
      });
      yield {
        errors: refusalErrors(authorization.refused, principal !== null).map(
          (error) =>
            new GraphQLError(error.message, {
              path: error.path,
              extensions: { ...error.extensions, requestId: state.requestId },
            }),
        ),
      };
      return;
    }
    const field = subscribedField(args);
    const owner = field ? supergraph.subscriptionOwners.get(field) : undefined;
    const url = owner ? supergraph.urls.get(owner) : undefined;
    if (!url) {
      yield failure('No subgraph serves this subscription', 'BAD_USER_INPUT', state.requestId);
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
      for await (const result of upstream) yield relayed(result, state.requestId);
    } catch (error) {
      if (Array.isArray(error)) yield { errors: error.map((e) => relayedError(e, state.requestId)) };
      else {
        log.warn({ requestId: state.requestId, err: error, subgraph: owner }, 'subscription upstream failed');
        yield failure('The subscription ended unexpectedly', 'INTERNAL_SERVER_ERROR', state.requestId);
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
        const clientAddress = ctx.extra.request.socket.remoteAddress ?? null;
        ctx.extra.clientAddress = clientAddress;
        const refuse = (reason: string): false => {
          socket.close(UNAUTHORIZED, reason);
          decisions.denied({
            requestId: randomUUID(),
            clientAddress,
            subject: null,
            claims: {},
            reason,
            operationName: null,
            fields: [],
          });
          return false;
        };
        const token = tokenFrom(ctx.connectionParams);
        if (!token) {
          if (options.authRequired) return refuse('Unauthorized: authentication required');
          ctx.extra.principal = null;
          return true;
        }
        const auth = await options.authenticate(token);
        if (!auth.ok) return refuse(`Unauthorized: ${auth.reason}`);
        ctx.extra.principal = auth.principal;
        const remaining = auth.principal.expiresAt * 1000 - Date.now();
        ctx.extra.expiryTimer = setTimeout(
          () => socket.close(UNAUTHORIZED, 'Unauthorized: Access token expired'),
          remaining,
        );
        socket.once('close', () => clearTimeout(ctx.extra.expiryTimer));
        return true;
      },
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: options.maxTokens });
        } catch (error) {
          return [
            new GraphQLError(error instanceof Error ? error.message : 'Syntax error', {
              extensions: { code: 'GRAPHQL_PARSE_FAILED' },
            }),
          ];
        }
        const errors = validate(supergraph.apiSchema, document, validationRules);
        if (errors.length > 0) {
          return errors.map(
            (error) =>
              new GraphQLError(error.message, {
                nodes: error.nodes,
                extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          );
        }
        return {
          schema: supergraph.apiSchema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
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
