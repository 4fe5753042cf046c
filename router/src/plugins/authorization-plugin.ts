import { createHash } from 'node:crypto';
import { type ApolloServerPlugin, type BaseContext, HeaderMap } from '@apollo/server';
import {
  type DocumentNode,
  type GraphQLFormattedError,
  getOperationAST,
  type OperationDefinitionNode,
  print,
} from 'graphql';
import type { Principal } from './authentication.ts';
import { type Authorization, authorizeOperation, type RefusedField } from './authorization.ts';
import { shapeData } from './authorization-response.ts';
import { type AccessRules, ANONYMOUS, type Caller } from './authorization-rules.ts';

export const UNAUTHORIZED_FIELD = 'Unauthorized field or type';

export interface FieldRefusal {
  operationName: string | null;
  /** `Type.field` of each refused field, once each. */
  fields: string[];
  reason: string;
}

export interface AuthorizationPluginOptions<TContext extends BaseContext> {
  rules: AccessRules;
  /** The verified principal of the request; null without a token. */
  principalOf(context: TContext): Principal | null;
  /** Called once per operation with refused fields (e.g. for the decision log). */
  onRefused?(context: TContext, refusal: FieldRefusal): void;
}

export const callerOf = (principal: Principal | null): Caller =>
  principal ? { authenticated: true, scopes: new Set(principal.scopes) } : ANONYMOUS;

/** One error per refused field; UNAUTHENTICATED without a token, FORBIDDEN with one. */
export function refusalErrors(refused: readonly RefusedField[], authenticated: boolean): GraphQLFormattedError[] {
  const code = authenticated ? 'FORBIDDEN' : 'UNAUTHENTICATED';
  return refused.map((field) => ({ message: UNAUTHORIZED_FIELD, path: field.path, extensions: { code } }));
}

export const refusedCoordinates = (refused: readonly RefusedField[]): string[] => [
  ...new Set(refused.map((field) => field.coordinate)),
];

type Writable = { document: DocumentNode; queryHash: string; operation: OperationDefinitionNode | undefined };

/**
 * Enforces the schema's access rules on every operation: once the operation is resolved, the
 * fields the caller may not select are removed from the document the gateway executes (so no
 * subgraph is asked for them; with nothing left, none is called at all). The response then shows
 * null at each refused field (null propagation applied) and one error per refused field.
 *
 * The rewritten document gets its own query hash: the gateway caches query plans by it, and a
 * plan made for one caller's rights must never serve another's.
 */
export function authorizationPlugin<TContext extends BaseContext>(
  options: AuthorizationPluginOptions<TContext>,
): ApolloServerPlugin<TContext> {
  const { rules } = options;
  return {
    async requestDidStart() {
      let original: DocumentNode | undefined;
      let authorization: Authorization | undefined;
      let authenticated = false;
      return {
        async didResolveOperation(requestContext) {
          if (!requestContext.operation) return;
          const principal = options.principalOf(requestContext.contextValue);
          authenticated = principal !== null;
          const result = authorizeOperation(
            rules,
            requestContext.document,
            requestContext.request.operationName,
            callerOf(principal),
          );
          if (result.refused.length === 0) return;
          original = requestContext.document;
          authorization = result;
          if (!result.empty) {
            const writable = requestContext as unknown as Writable;
            writable.document = result.document;
            writable.queryHash = createHash('sha256').update(print(result.document)).digest('hex');
            writable.operation = getOperationAST(result.document, requestContext.request.operationName) ?? undefined;
          }
          options.onRefused?.(requestContext.contextValue, {
            operationName: requestContext.operationName ?? null,
            fields: refusedCoordinates(result.refused),
            reason: UNAUTHORIZED_FIELD,
          });
        },
        async responseForOperation() {
          if (!authorization?.empty) return null;
          // Nothing authorized is left: answer without calling any subgraph.
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: {} } },
          };
        },
        async willSendResponse(requestContext) {
          const { response } = requestContext;
          if (!authorization || !original || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (result.data !== undefined) {
            result.data = shapeData(result.data, {
              schema: rules.schema,
              document: original,
              operationName: requestContext.request.operationName,
              variables: requestContext.request.variables,
              authorization,
            });
          }
          result.errors = [...(result.errors ?? []), ...refusalErrors(authorization.refused, authenticated)];
        },
      };
    },
  };
}
