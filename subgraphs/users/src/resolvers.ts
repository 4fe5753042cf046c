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
      refreshSession: (_root, { refreshToken }, { caller }) => users.refreshSession(caller, refreshToken),
      logout: (_root, { refreshToken }, { caller }) => users.logout(caller, refreshToken),
      changePassword: (_root, { currentPassword, newPassword }, { caller }) =>
        users.changePassword(caller, currentPassword, newPassword),
      createStaffAccount: (_root, { input }, { caller }) => users.createStaffAccount(caller, input),
      rotateSigningKey: (_root, _args, { caller }) => users.rotateSigningKey(caller),
    },
    User: {
      __resolveReference: ({ id }: { id: string }, { caller }: RequestContext) => users.userById(caller, id),
    },
  };
}
