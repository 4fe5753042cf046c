import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { DocumentNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { CALLER_HEADER, verifyCallerToken } from './caller-token.ts';
import { isPublicError, maskError } from './errors.ts';
import { type Caller, callerFromClaims } from './identity.ts';
import type { Logger } from './logger.ts';
import { inRequest } from './request-scope.ts';

/** What every resolver receives: the caller and a logger bound to the request. */
export interface RequestContext {
  caller: Caller;
  log: Logger;
}

export interface SubgraphOptions {
  name: string;
  typeDefs: DocumentNode;
  // biome-ignore lint/suspicious/noExplicitAny: resolver maps are typed per subgraph.
  resolvers: GraphQLResolverMap<any>;
  host: string;
  port: number;
  routerSecret: string;
  log: Logger;
  /** Extra HTTP routes (e.g. a JWKS document), mounted before GraphQL. */
  routes?: (app: express.Express) => void;
  /** Serve GraphQL subscriptions over graphql-ws on the same path. */
  subscriptions?: boolean;
}

export interface RunningServer {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function callerFrom(secret: string, token: unknown): Promise<Caller | null> {
  if (typeof token !== 'string' || token.length === 0) return null;
  try {
    return callerFromClaims(await verifyCallerToken(secret, token));
  } catch {
    return null;
  }
}

const ROUTER_ONLY = {
  errors: [
    {
      message: 'This service accepts requests from the router only',
      extensions: { code: 'UNAUTHENTICATED' },
    },
  ],
};

/** Adds the request id to every error and logs the unexpected ones with it. */
function requestIdPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const error of errors) {
            if (!isPublicError({ message: error.message, extensions: error.extensions }, error)) {
              contextValue.log.error({ err: error.originalError ?? error }, 'unexpected error');
            }
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            (error.extensions as Record<string, unknown>).requestId = contextValue.caller.requestId;
          }
        },
      };
    },
  };
}

/**
 * Builds and starts one subgraph: HTTP for queries and mutations, optionally graphql-ws for
 * subscriptions, both refusing anything that does not carry the router's credential.
 */
export async function startSubgraph(options: SubgraphOptions): Promise<RunningServer> {
  const { name, log, routerSecret } = options;
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers }]);
  const app = express();
  app.disable('x-powered-by');
  const httpServer: Server = createServer(app);
  // Keep idle connections longer than the router's HTTP agent does (it reuses them): a connection
  // the server closes just as the router reuses it fails the request with ECONNRESET.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;

  let disposeWs: (() => Promise<void>) | null = null;
  if (options.subscriptions) {
    const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 64 * 1024 });
    const handle = useServer<Record<string, unknown>, { caller?: Caller }>(
      {
        schema,
        onConnect: async (ctx) => {
          const caller = await callerFrom(routerSecret, ctx.connectionParams?.callerToken);
          if (!caller) return false;
          ctx.extra.caller = caller;
          return true;
        },
        context: (ctx): RequestContext => {
          const caller = ctx.extra.caller as Caller;
          return { caller, log: log.child({ requestId: caller.requestId }) };
        },
        // Errors leave as over HTTP: a domain error with its code, anything else masked.
        onNext: (_ctx, _id, _payload, _args, result) =>
          result.errors
            ? { ...result, errors: result.errors.map((error) => maskError(error.toJSON(), error)) }
            : undefined,
        onError: (_ctx, _id, _payload, errors) => errors.map((error) => maskError(error.toJSON(), error)),
      },
      wsServer,
    );
    disposeWs = async () => {
      await handle.dispose();
      // Do not wait out the close handshake of peers that are going away anyway.
      for (const socket of wsServer.clients) socket.terminate();
      wsServer.close();
    };
  }

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: maskError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      requestIdPlugin(),
    ],
  });
  await apollo.start();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: name });
  });
  options.routes?.(app);
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    async (req: Request, res: Response, next: NextFunction) => {
      const caller = await callerFrom(routerSecret, req.header(CALLER_HEADER));
      if (!caller) {
        log.warn({ path: req.path, ip: req.ip }, 'request without router credential refused');
        res.status(401).json(ROUTER_ONLY);
        return;
      }
      res.locals.caller = caller;
      // Second lock behind the router's: PostgreSQL text cannot hold NUL.
      if (req.body && JSON.stringify(req.body).includes('\\u0000')) {
        res.status(400).json({
          errors: [{ message: 'Text must not contain NUL characters', extensions: { code: 'BAD_USER_INPUT' } }],
        });
        return;
      }
      // Everything the request causes (batched loads, SQL) runs knowing its id.
      inRequest(caller.requestId, next);
    },
    expressMiddleware(apollo, {
      context: async ({ res }) => {
        const caller = (res.locals.caller as Caller | undefined) ?? {
          requestId: randomUUID(),
          identity: null,
          clientAddress: null,
        };
        return { caller, log: log.child({ requestId: caller.requestId }) };
      },
    }),
  );

  await new Promise<void>((resolve) => httpServer.listen(options.port, options.host, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${options.host}:${port}/graphql`;
  log.info({ url }, `${name} subgraph listening`);
  return {
    name,
    url,
    port,
    async stop() {
      await disposeWs?.();
      await apollo.stop();
    },
  };
}
