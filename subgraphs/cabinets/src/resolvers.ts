import type { GraphQLResolverMap } from '@apollo/subgraph';
import { BatchLoader, perRequest } from '@cabinet/platform/batch-loader';
import { notFound } from '@cabinet/platform/errors';
import type { RequestContext } from '@cabinet/platform/subgraph';
import type { CabinetsService, CabinetView, PractitionerView } from './service.ts';

export function createResolvers(cabinets: CabinetsService): GraphQLResolverMap<RequestContext> {
  // One loader of each kind per request: the references and lists a request resolves come from
  // one query per kind.
  const cabinetById = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, CabinetView | null>(
        (ids) => cabinets.byIds(caller, ids),
        () => null,
      ),
  );
  const practitionerById = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, PractitionerView | null>(
        (ids) => cabinets.practitionersByIds(caller, ids),
        () => null,
      ),
  );
  const practitionerByUserId = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, PractitionerView | null>(
        (userIds) => cabinets.practitionersByUserIds(caller, userIds),
        () => null,
      ),
  );
  const practitionersOf = perRequest(
    ({ caller }: RequestContext) =>
      new BatchLoader<string, PractitionerView[]>(
        (cabinetIds) => cabinets.practitionersOf(caller, cabinetIds),
        () => [],
      ),
  );
  const cabinet = async (id: string, context: RequestContext): Promise<CabinetView> => {
    const found = await cabinetById(context).load(id);
    if (!found) throw notFound('Cabinet', id);
    return found;
  };
  return {
    Query: {
      cabinets: (_root, args, { caller }) => cabinets.list(caller, args),
      cabinet: (_root, { id }, { caller }) => cabinets.byId(caller, id),
      myCabinet: (_root, _args, { caller }) => cabinets.mine(caller),
    },
    Mutation: {
      createCabinet: (_root, { input }, { caller }) => cabinets.create(caller, input),
      updateCabinet: (_root, { id, input }, { caller }) => cabinets.update(caller, id, input),
      deactivateCabinet: (_root, { id }, { caller }) => cabinets.deactivate(caller, id),
      attachPractitioner: (_root, { input }, { caller }) => cabinets.attachPractitioner(caller, input),
      detachPractitioner: (_root, { id }, { caller }) => cabinets.detachPractitioner(caller, id),
    },
    Cabinet: {
      __resolveReference: ({ id }: { id: string }, context: RequestContext) => cabinet(id, context),
      practitioners: (parent: CabinetView, _args: unknown, context: RequestContext) =>
        practitionersOf(context).load(parent.id),
    },
    Practitioner: {
      __resolveReference: async (reference: { id: string } | { userId: string }, context: RequestContext) => {
        const found =
          'id' in reference
            ? await practitionerById(context).load(reference.id)
            : await practitionerByUserId(context).load(reference.userId);
        if (!found) throw notFound('Practitioner', 'id' in reference ? reference.id : reference.userId);
        return found;
      },
      cabinet: (parent: PractitionerView, _args: unknown, context: RequestContext) =>
        cabinet(parent.cabinetId, context),
      // A stub: the users subgraph resolves the account (its name), every one of a request in one go.
      user: (parent: PractitionerView) => ({ __typename: 'User', id: parent.userId }),
    },
  };
}
