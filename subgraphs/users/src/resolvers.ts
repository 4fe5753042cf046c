import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { UsersService } from './service.ts';

export function createResolvers(users: UsersService): GraphQLResolverMap<RequestContext> {
  return {
    Query: {
      me: (_root, _args, { caller }) => users.me(caller),
    },
    Mutation: {
      login: (_root, { email, password }, { caller }) => users.login(caller, email, password),
      createStaffAccount: (_root, { input }, { caller }) => users.createStaffAccount(caller, input),
    },
    User: {
      __resolveReference: ({ id }: { id: string }, { caller }: RequestContext) => users.userById(caller, id),
    },
  };
}
