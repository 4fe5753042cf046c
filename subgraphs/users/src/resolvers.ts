import type { GraphQLResolverMap } from '@apollo/subgraph';
import { BatchLoader, perRequest } from '@cabinet/platform/batch-loader';
import { type DomainError, notFound } from '@cabinet/platform/errors';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { UsersService, UserView } from './service.ts';

export function createResolvers(users: UsersService): GraphQLResolverMap<RequestContext> {
  // One loader per request: the router sends every `User` reference of a request (the
  // practitioners of an agenda) in one `_entities` call; they are read in one query.
  const userById = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, UserView | DomainError>(
        (ids) => users.usersByIds(caller, ids),
        (id) => notFound('User', id),
      ),
  );
  return {
    Query: {
      me: (_root, _args, { caller }) => users.me(caller),
      myDataExport: (_root, _args, { caller }) => users.dataExport(caller),
      staffAccounts: (_root, args, { caller }) => users.staffAccounts(caller, args),
    },
    Mutation: {
      login: (_root, { email, password }, { caller }) => users.login(caller, email, password),
      refreshSession: (_root, { refreshToken }, { caller }) => users.refreshSession(caller, refreshToken),
      logout: (_root, { refreshToken }, { caller }) => users.logout(caller, refreshToken),
      changePassword: (_root, { currentPassword, newPassword }, { caller }) =>
        users.changePassword(caller, currentPassword, newPassword),
      createStaffAccount: (_root, { input }, { caller }) => users.createStaffAccount(caller, input),
      updateStaffAccount: (_root, { id, input }, { caller }) => users.updateStaffAccount(caller, id, input),
      deactivateStaffAccount: (_root, { id }, { caller }) => users.deactivateStaffAccount(caller, id),
      reactivateStaffAccount: (_root, { id }, { caller }) => users.reactivateStaffAccount(caller, id),
      updateMyProfile: (_root, { input }, { caller }) => users.updateMyProfile(caller, input),
      rotateSigningKey: (_root, _args, { caller }) => users.rotateSigningKey(caller),
    },
    PatientDataExport: {
      // Only ever the caller's own: another patient's export is NOT_FOUND.
      __resolveReference: async ({ patientId }: { patientId: string }, { caller }: RequestContext) => {
        const own = await users.dataExport(caller);
        if (own.patientId !== patientId) throw notFound('PatientDataExport', patientId);
        return own;
      },
    },
    User: {
      __resolveReference: async ({ id }: { id: string }, context: RequestContext) => {
        const user = await userById(context).load(id);
        if (user instanceof Error) throw user;
        return user;
      },
    },
  };
}
