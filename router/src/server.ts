import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { createLogger } from '@cabinet/platform/logger';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { RouterConfig } from './config.ts';
import { type Authentication, bearerToken, createAuthenticator } from './plugins/authentication.ts';
import { authorizationPlugin } from './plugins/authorization-plugin.ts';
import { buildAccessRules } from './plugins/authorization-rules.ts';
import { callerDataSource, createRouterContext, type RouterContext } from './plugins/caller.ts';
import { type DecisionLog, kafkaDecisionLog, limitRefusalLogging, noDecisionLog } from './plugins/decision-log.ts';
import { errorReporting, formatRouterError } from './plugins/errors.ts';
import { type OperationLimits, operationLimitsRule } from './plugins/limits.ts';
import { isPublicOperation } from './plugins/public-operations.ts';
import { requestId } from './plugins/request-id.ts';
import { serveSubscriptions } from './plugins/subscriptions.ts';
import { loadSupergraph } from './supergraph.ts';

export interface RunningRouter {
  url: string;
  wsUrl: string;
  port: number;
  stop(): Promise<void>;
}

const unauthenticated = (res: Response, message: string): void => {
  res
    .status(401)
    .json({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED', requestId: res.locals.requestId } }] });
};

/**
 * The only door: JWT authentication, the schema's access rules, operation limits, caller
 * propagation, HTTP via the gateway, WebSocket subscriptions, and a log of what it refuses.
 */
/** What a test may observe of a running router; production sets none. */
export interface RouterHooks {
  /** Called for every request the router sends to a subgraph, with the client request's id. */
  onSubgraphRequest?: (subgraph: string, requestId: string) => void;
}

export async function startRouter(config: RouterConfig, hooks: RouterHooks = {}): Promise<RunningRouter> {
  const log = createLogger('router', config.LOG_LEVEL);
  const supergraph = loadSupergraph(config.SUPERGRAPH_PATH, config.subgraphUrls);
  const rules = buildAccessRules(supergraph.sdl, supergraph.apiSchema, {
    defaultRule: config.AUTHZ_DEFAULT,
    introspection: config.INTROSPECTION,
  });
  const limits: OperationLimits = {
    maxDepth: config.MAX_DEPTH,
    maxAliases: config.MAX_ALIASES,
    maxRootFields: config.MAX_ROOT_FIELDS,
    maxFields: config.MAX_FIELDS,
  };
  const authenticate = createAuthenticator({
    jwksUrl: config.JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    forwardClaims: config.FORWARD_CLAIMS,
    scopeClaim: config.AUTHZ_SCOPE_CLAIM,
  });
  const authRequired = config.AUTH_MODE === 'required';
  const decisions: DecisionLog = config.DECISION_LOG_KAFKA_BROKERS
    ? kafkaDecisionLog({
        brokers: config.DECISION_LOG_KAFKA_BROKERS,
        topicPrefix: config.DECISION_LOG_TOPIC_PREFIX,
        log,
      })
    : noDecisionLog;
  const refuse = (req: Request, res: Response, reason: string): void => {
    const body = (req.body ?? {}) as { operationName?: unknown };
    decisions.denied({
      requestId: res.locals.requestId,
      clientAddress: req.socket.remoteAddress ?? null,
      subject: null,
      claims: {},
      reason,
      operationName: typeof body.operationName === 'string' ? body.operationName : null,
      fields: [],
    });
    unauthenticated(res, reason);
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const httpServer = createServer(app);

  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.gatewaySdl,
    buildService: ({ name, url }) => {
      const observe = hooks.onSubgraphRequest;
      return callerDataSource(
        supergraph.urls.get(name) ?? (url as string),
        observe && ((requestId) => observe(name, requestId)),
      );
    },
    logger: log,
  });
  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection: config.INTROSPECTION,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: config.MAX_TOKENS },
    validationRules: [operationLimitsRule(limits)],
    formatError: formatRouterError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.NODE_ENV === 'production'
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      authorizationPlugin<RouterContext>({
        rules,
        principalOf: (context) => context.principal,
        onRefused: (context, refusal) => {
          log.info({ requestId: context.requestId, fields: refusal.fields }, 'fields refused');
          decisions.denied({
            requestId: context.requestId,
            clientAddress: context.clientAddress,
            subject: context.principal?.subject ?? null,
            claims: context.principal?.claims ?? {},
            ...refusal,
          });
        },
      }),
      limitRefusalLogging(decisions),
      // Last: puts the request id on every error, including those added by the plugins above.
      errorReporting(log),
    ],
  });
  await apollo.start();
  const disposeSubscriptions = serveSubscriptions({
    httpServer,
    path: '/graphql',
    supergraph,
    routerSecret: config.ROUTER_SECRET,
    authRequired,
    authenticate,
    maxPayloadBytes: config.MAX_BODY_BYTES,
    rules,
    limits,
    maxTokens: config.MAX_TOKENS,
    decisions,
    log,
  });

  app.use(requestId());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    '/graphql',
    express.json({ limit: config.MAX_BODY_BYTES }),
    async (req: Request, res: Response, next: NextFunction) => {
      const token = bearerToken(req.header('authorization'));
      // PostgreSQL text cannot hold NUL: refuse it here, clearly, rather than fail deep inside a subgraph.
      if (req.body && JSON.stringify(req.body).includes('\\u0000')) {
        decisions.denied({
          requestId: res.locals.requestId,
          clientAddress: req.socket.remoteAddress ?? null,
          subject: null,
          claims: {},
          reason: 'Text must not contain NUL characters',
          operationName: null,
          fields: [],
        });
        res.status(400).json({
          errors: [
            {
              message: 'Text must not contain NUL characters',
              extensions: { code: 'BAD_USER_INPUT', requestId: res.locals.requestId },
            },
          ],
        });
        return;
      }
      let auth: Authentication | null = null;
      if (token) {
        auth = await authenticate(token);
        if (!auth.ok) {
          log.info(
            { requestId: res.locals.requestId, reason: auth.reason, ip: req.socket.remoteAddress },
            'token refused',
          );
          refuse(req, res, auth.reason);
          return;
        }
      } else if (req.header('authorization')) {
        refuse(req, res, 'Authorization header must be "Bearer <token>"');
        return;
      } else if (authRequired && req.method !== 'GET') {
        const body = (req.body ?? {}) as { query?: unknown; operationName?: unknown };
        const isPublic = isPublicOperation(
          body.query,
          body.operationName,
          (operation, field) => rules.isPublicRootField(operation, field),
          config.INTROSPECTION,
          config.MAX_TOKENS,
        );
        if (!isPublic) {
          refuse(req, res, 'Authentication required');
          return;
        }
      } else if (authRequired && req.method === 'GET' && typeof req.query.query === 'string') {
        refuse(req, res, 'Authentication required');
        return;
      }
      res.locals.principal = auth?.ok ? auth.principal : null;
      // A body express.json did not parse (e.g. text/plain) reaches Apollo Server as none, so that
      // its CSRF prevention answers it (400) rather than the integration (500, no JSON).
      if (!('body' in req)) (req as { body?: unknown }).body = undefined;
      next();
    },
    expressMiddleware(apollo, {
      context: ({ req, res }) =>
        createRouterContext(
          config.ROUTER_SECRET,
          res.locals.principal ?? null,
          res.locals.requestId,
          req.socket.remoteAddress ?? null,
        ),
    }),
  );
  app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status ?? 500;
    const message =
      error.type === 'entity.too.large'
        ? 'Request body too large'
        : status < 500
          ? 'Bad request'
          : 'Internal server error';
    if (status >= 500) log.error({ err: error, requestId: res.locals.requestId }, 'request failed');
    else
      decisions.denied({
        requestId: res.locals.requestId,
        clientAddress: _req.socket.remoteAddress ?? null,
        subject: null,
        claims: {},
        reason: message,
        operationName: null,
        fields: [],
      });
    res.status(status).json({
      errors: [
        {
          message,
          extensions: {
            code: status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR',
            requestId: res.locals.requestId,
          },
        },
      ],
    });
  });

  await new Promise<void>((resolve) => httpServer.listen(config.PORT, config.HOST, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${config.HOST}:${port}/graphql`;
  log.info({ url }, 'router listening');
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    port,
    async stop() {
      await disposeSubscriptions();
      await apollo.stop();
      await decisions.stop();
    },
  };
}
