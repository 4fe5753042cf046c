// A small real system for the router's tests: two subgraphs (started with the platform's own
// bootstrap, so they refuse anything without the router's credential), a JWKS server, and the
// router in front, all in-process on free ports. Its schema declares access rules of every kind.
import { randomBytes, randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@cabinet/platform/logger';
import { type RunningServer, startSubgraph } from '@cabinet/platform/subgraph';
import { parse } from 'graphql';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadRouterConfig } from './config.ts';
import { type RunningRouter, startRouter } from './server.ts';
import { composeSupergraph, LINK } from './test-support.ts';

export const ISSUER = 'https://issuer.router.test';
export const AUDIENCE = 'router-test-api';

export const ACCOUNTS_SDL = `
  type Query {
    "Public: anyone, also without a token."
    open: String @policy(policies: [["public"]])
    me: User @authenticated
    users: [User!]! @authenticated
    secret: String! @requiresScopes(scopes: [["secret"]])
    "No rule at all: refused by default."
    bare: String
    chain: Link @policy(policies: [["public"]])
    "Fails with an internal error."
    boom: String @authenticated
  }
  type Mutation {
    rename(name: String!): User @requiresScopes(scopes: [["write"]])
  }
  type Link @policy(policies: [["public"]]) { next: Link value: Int }
  type User @key(fields: "id") @authenticated {
    id: ID!
    name: String
    email: String @requiresScopes(scopes: [["email"]])
    ssn: String! @requiresScopes(scopes: [["ssn"]])
  }
`;

export const REVIEWS_SDL = `
  type User @key(fields: "id") @authenticated {
    id: ID!
    reviews: [Review!]!
  }
  type Review @authenticated {
    body: String!
    rating: Int @requiresScopes(scopes: [["ratings"]])
  }
  type Query { topReview: Review @authenticated }
  type Subscription {
    reviewAdded: Review @authenticated
  }
`;

const USERS = [
  { id: 'u1', name: 'Ada', email: 'ada@example.test', ssn: '111' },
  { id: 'u2', name: 'Bob', email: 'bob@example.test', ssn: '222' },
];

export interface TestSystem {
  url: string;
  wsUrl: string;
  router: RunningRouter;
  /** How many times each `Type.field` was resolved by a subgraph. */
  resolved: Map<string, number>;
  /** A signed access token with these scopes (space-separated claim). */
  token(scopes?: string[], claims?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestSystem(env: Record<string, string> = {}): Promise<TestSystem> {
  const log = createLogger('router-test', 'silent');
  const routerSecret = randomBytes(32).toString('base64url');
  const resolved = new Map<string, number>();
  const count = (coordinate: string) => resolved.set(coordinate, (resolved.get(coordinate) ?? 0) + 1);
  const stops: (() => Promise<void>)[] = [];
  try {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const jwks = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    stops.push(async () => {
      jwks.closeAllConnections();
      await new Promise((resolve) => jwks.close(resolve));
    });

    const subgraph = (name: string, sdl: string, resolvers: object, subscriptions = false): Promise<RunningServer> =>
      startSubgraph({
        name,
        typeDefs: parse(`${LINK}\n${sdl}`),
        resolvers: resolvers as never,
        host: '127.0.0.1',
        port: 0,
        routerSecret,
        log,
        subscriptions,
      });
    const accounts = await subgraph('accounts', ACCOUNTS_SDL, {
      Query: {
        open: () => 'hello',
        me: () => USERS[1],
        users: () => USERS,
        secret: () => {
          count('Query.secret');
          return 's3cr3t';
        },
        bare: () => {
          count('Query.bare');
          return 'bare';
        },
        boom: () => {
          throw new Error('connection to 10.0.0.7 refused at internal/db.ts:42');
        },
        chain: () => ({ value: 1, next: { value: 2, next: null } }),
      },
      Mutation: { rename: (_: unknown, { name }: { name: string }) => ({ ...USERS[0], name }) },
      User: {
        __resolveReference: (ref: { id: string }) => USERS.find((user) => user.id === ref.id),
        email: (user: { email: string }) => {
          count('User.email');
          return user.email;
        },
        ssn: (user: { ssn: string }) => {
          count('User.ssn');
          return user.ssn;
        },
      },
    });
    stops.push(() => accounts.stop());
    const review = (body: string, rating: number) => ({ body, rating });
    const reviews = await subgraph(
      'reviews',
      REVIEWS_SDL,
      {
        Query: { topReview: () => review('Top', 5) },
        User: {
          reviews: (user: { id: string }) => {
            count('User.reviews');
            return [review(`by ${user.id}`, 4)];
          },
        },
        Review: {
          rating: (r: { rating: number }) => {
            count('Review.rating');
            return r.rating;
          },
        },
        Subscription: {
          reviewAdded: {
            subscribe: async function* () {
              count('Subscription.reviewAdded');
              yield { reviewAdded: review('live', 3) };
            },
          },
        },
      },
      true,
    );
    stops.push(() => reviews.stop());

    const supergraphPath = join(tmpdir(), `router-test-${randomUUID()}.graphql`);
    await writeFile(
      supergraphPath,
      composeSupergraph([
        { name: 'accounts', sdl: ACCOUNTS_SDL, url: accounts.url },
        { name: 'reviews', sdl: REVIEWS_SDL, url: reviews.url },
      ]),
    );
    stops.push(() => rm(supergraphPath, { force: true }));
    const router = await startRouter(
      loadRouterConfig({
        NODE_ENV: 'test',
        PORT: '0',
        LOG_LEVEL: 'silent',
        ROUTER_SECRET: routerSecret,
        SUPERGRAPH_PATH: supergraphPath,
        JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        FORWARD_CLAIMS: 'role',
        ...env,
      }),
    );
    stops.push(() => router.stop());
    return {
      url: router.url,
      wsUrl: router.wsUrl,
      router,
      resolved,
      token: (scopes = [], claims = {}) =>
        new SignJWT({ scope: scopes.join(' '), role: 'ADMIN', ...claims })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject('subject-1')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey),
      async stop() {
        for (const stop of stops.reverse()) await stop();
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

export interface GraphQLResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

/** POSTs an operation as a client would. */
export async function post(
  url: string,
  query: string,
  options: {
    token?: string;
    variables?: Record<string, unknown>;
    operationName?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<GraphQLResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables, operationName: options.operationName }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLResponse['body'],
  };
}
